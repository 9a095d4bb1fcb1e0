#!/bin/sh
# Runs a client nobody here wrote, @octokit/rest, against `ghpkg fake serve`:
#
#   tests/octokit/run.sh <path-to-ghpkg-binary>
#
# Installs the npm packages pinned in package.json into a scratch folder
# (nothing is written here), starts two fakes on 127.0.0.1 (sample data for
# every packages method; an empty one whose rate limits are untouched for the
# throttling check), runs octokit.mjs against them, and stops them on every
# way out. Needs node >= 20 and npm, and the npm registry; the fakes and the
# script reach nothing beyond loopback.
set -eu

usage() {
    echo "usage: tests/octokit/run.sh <path-to-ghpkg-binary>" >&2
    exit 2
}
[ $# -eq 1 ] || usage
ghpkg=$1
if [ ! -x "$ghpkg" ] || [ -d "$ghpkg" ]; then
    echo "run.sh: $ghpkg is not an executable file; build it with" \
        "cargo build -p ghpkg" >&2
    exit 2
fi
for tool in node npm; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "run.sh: $tool is not installed; the octokit check needs node >= 20 and npm" >&2
        exit 2
    }
done

here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/ghpkg-octokit.XXXXXX")
pids=""

stop() {
    for pid in $pids; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in $pids; do
        wait "$pid" 2>/dev/null || true
    done
    pids=""
    rm -rf "$scratch"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# Starts `ghpkg fake serve` with extra flags; its one JSON line (api_url,
# token, ...) lands in $scratch/<name>.json.
serve() {
    name=$1
    shift
    "$ghpkg" fake serve --port 0 --json "$@" >"$scratch/$name.json" 2>"$scratch/$name.log" &
    pid=$!
    pids="$pids $pid"
    tries=0
    until grep -q '^{.*}$' "$scratch/$name.json" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null || [ "$tries" -ge 100 ]; then
            echo "run.sh: ghpkg fake serve ($name) did not start:" >&2
            cat "$scratch/$name.log" >&2
            exit 1
        fi
        tries=$((tries + 1))
        sleep 0.1 2>/dev/null || sleep 1
    done
}

cp "$here/package.json" "$here/octokit.mjs" "$scratch/"
(cd "$scratch" && npm install --no-package-lock --no-audit --no-fund --loglevel=error)

serve full --sample-data
serve limits
# In the background and waited for, so a signal stops the run at once.
node "$scratch/octokit.mjs" "$scratch/full.json" "$scratch/limits.json" &
check=$!
pids="$pids $check"
wait "$check"
