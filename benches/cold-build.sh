#!/usr/bin/env bash
# Cold build time of the library (issue 6): `cargo build --release` and
# `cargo build` of github-packages with default features, each from an empty
# target directory, so every dependency and the build.rs code generator are
# compiled as a first-time user would compile them.
#
# Usage: benches/cold-build.sh [release|debug]...   (default: release debug)
# Crates are fetched first, so downloads are not timed. With python3 on the
# PATH it also lists the slowest compilation units from cargo's --timings data.
set -euo pipefail
cd "$(dirname "$0")/.."

profiles=("$@")
[ ${#profiles[@]} -gt 0 ] || profiles=(release debug)

cargo fetch --locked --quiet

echo "cold build of github-packages (default features), $(nproc) cores, $(rustc -V)"
for profile in "${profiles[@]}"; do
    case "$profile" in
        release) flags=(--release) ;;
        debug) flags=() ;;
        *) echo "unknown profile '$profile' (release or debug)" >&2; exit 2 ;;
    esac
    dir=$(mktemp -d)
    trap 'rm -rf "$dir" "$dir.log"' EXIT
    start=$(date +%s.%N)
    if ! CARGO_TARGET_DIR="$dir" cargo build --locked --offline -p github-packages --lib \
        "${flags[@]}" --timings >"$dir.log" 2>&1; then
        cat "$dir.log" >&2
        rm -rf "$dir" "$dir.log"
        exit 1
    fi
    end=$(date +%s.%N)
    units=$(grep -c '^ *Compiling ' "$dir.log" || true)
    printf '%-8s %6.1f s  (%s crates compiled)\n' "$profile" "$(awk "BEGIN { print $end - $start }")" "$units"
    timing=$(ls "$dir"/cargo-timings/cargo-timing-*.html 2>/dev/null | head -n1 || true)
    if [ -n "$timing" ] && command -v python3 >/dev/null; then
        python3 - "$timing" <<'EOF'
import json, re, sys
html = open(sys.argv[1]).read()
m = re.search(r"const UNIT_DATA = (\[.*?\]);\n", html, re.S)
if m:
    units = sorted(json.loads(m.group(1)), key=lambda u: -u["duration"])
    name = lambda u: u["name"] + (f" ({u['target'].strip()})" if u["target"].strip() else "")
    print("         slowest units: " + ", ".join(
        f"{name(u)} {u['duration']:.1f}s" for u in units[:8]))
    print("         this crate: " + ", ".join(
        f"{name(u)} {u['duration']:.1f}s" for u in units if u["name"] == "github-packages"))
EOF
    fi
    rm -rf "$dir" "$dir.log"
done
