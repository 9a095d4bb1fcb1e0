#!/usr/bin/env bash
# The install step of action.yml: gets the ghpkg binary the run step uses.
# On a release tag of the action (vX.Y.Z), or the commit a release was built
# from, it downloads the binary built for this runner from that release and
# checks its SHA-256 against the release's SHA256SUMS before anything runs
# it; on any other ref (a branch, another commit, a local checkout), or with
# build-from-source, it tells the next steps to build ghpkg from the
# action's own checkout with cargo.
#
# Reads GITHUB_ACTION_PATH, RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP and
# INPUT_BUILD_FROM_SOURCE. GHPKG_RELEASE_BASE_URL replaces https://github.com
# and exists for the action's tests only. Writes the step outputs `ghpkg`
# (the binary's path), `build` (true when the next steps must build it) and
# `key` (their cache key), and adds the binary's directory to GITHUB_PATH.
# Runs on bash 3.2 (macOS) and Git Bash (Windows) as well.
set -euo pipefail

escape() {
  local text="${1//'%'/%25}"
  text="${text//$'\r'/%0D}"
  printf '%s' "${text//$'\n'/%0A}"
}

# The version in section [$2] of the TOML file $1.
toml_version() {
  awk -v want="[$2]" '
    /^\[/ { inside = ($0 == want) }
    inside && /^version[[:space:]]*=/ { gsub(/^[^"]*"|".*$/, ""); print; exit }
  ' "$1"
}

# Stops the step: nothing is installed, and the run step does not start.
die() {
  echo "::error title=ghpkg install::$(escape "$1")"
  exit 1
}

output() {
  echo "$1=$2" >>"${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set: run this as a step of action.yml}"
}

# The hex SHA-256 of standard input. Read from stdin so that sha256sum never
# escapes a Windows path with backslashes in its output.
if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 | cut -d' ' -f1; }
else
  die "neither sha256sum nor shasum is on the PATH, so ghpkg cannot be verified or keyed: install one (coreutils, or perl's shasum)"
fi

# Git Bash on Windows: this script works with POSIX paths (/d/a/_temp) and
# gives the runner's PATH a Windows one (D:\a\_temp).
posix() {
  if command -v cygpath >/dev/null 2>&1; then cygpath -u "$1"; else printf '%s' "$1"; fi
}
native() {
  if command -v cygpath >/dev/null 2>&1; then cygpath -w "$1"; else printf '%s' "$1"; fi
}

action_path=$(posix "${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set: run this as a step of action.yml}")
temp=$(posix "${RUNNER_TEMP:?RUNNER_TEMP is not set: run this as a step of action.yml}")
exe=""
[ "${RUNNER_OS:-}" = Windows ] && exe=".exe"

# Building is left to the next steps (actions/cache, then cargo install),
# keyed on every source file ghpkg is built from.
build() {
  local sum
  sum=$(
    cd "$action_path" &&
      {
        cat Cargo.lock Cargo.toml build.rs
        find src spec crates -type f -not -path '*/tests/*' -not -path '*/benches/*' -print0 |
          LC_ALL=C sort -z | xargs -0 cat
      } | sha256 | cut -c1-20
  ) || die "cannot read ghpkg's sources in $action_path to key its build: is the action's checkout complete?"
  echo "ghpkg is built from the action's source ($1)."
  output build true
  output key "ghpkg-${RUNNER_OS:-unknown}-${RUNNER_ARCH:-unknown}-${sum}"
  output ghpkg "$temp/ghpkg/bin/ghpkg$exe"
  native "$temp/ghpkg/bin" >>"${GITHUB_PATH:-/dev/null}"
  echo >>"${GITHUB_PATH:-/dev/null}"
  exit 0
}

case "${INPUT_BUILD_FROM_SOURCE:-false}" in
  true | TRUE | True) build "build-from-source is true" ;;
  false | FALSE | False | "") ;;
  *) die "build-from-source must be true or false, not '${INPUT_BUILD_FROM_SOURCE}'" ;;
esac

# The runner checks an action out to .../_actions/OWNER/REPO/REF; `uses: ./`
# runs it from the workspace instead.
# This is more reliable than github.action_ref, which composite actions do
# not always get.
path="${action_path//\\//}"
path="${path%/}"
case "$path" in
  */_actions/*/*/*) ;;
  *) build "a local copy of the action, not a release" ;;
esac
rest="${path##*/_actions/}"
owner="${rest%%/*}"
rest="${rest#*/}"
repo="$owner/${rest%%/*}"
ref="${rest#*/}"
# Release tags are vMAJOR.MINOR.PATCH, optionally with a pre-release suffix
# (the release workflow's trigger); a floating v1 or a branch has no assets.
# A commit SHA is a release when it is the commit the release of the
# checkout's version was built from (the release's SOURCE_COMMIT asset), so
# pinning the action to a release's SHA still gets its binary.
release='^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$'
commit='^[0-9a-f]{40}$'
if [[ $ref =~ $release ]]; then
  tag="$ref"
elif [[ $ref =~ $commit ]]; then
  version=$(toml_version "$action_path/crates/ghpkg/Cargo.toml" package)
  [ -n "$version" ] || version=$(toml_version "$action_path/Cargo.toml" workspace.package)
  [ -n "$version" ] || build "no version in the checkout's crates/ghpkg/Cargo.toml"
  tag="v$version"
else
  build "$ref is not a release tag"
fi

base="https://github.com"
if [ -n "${GHPKG_RELEASE_BASE_URL:-}" ]; then
  base="${GHPKG_RELEASE_BASE_URL%/}"
  echo "::warning title=ghpkg install::$(escape "GHPKG_RELEASE_BASE_URL is set, so ghpkg is downloaded from $base: that variable is for the action's own tests")"
fi
url="$base/$repo/releases/download/$tag"

work=$(mktemp -d "$temp/ghpkg-download.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ "$tag" != "$ref" ]; then
  built_from=""
  if curl --fail --silent --location --retry 3 --retry-delay 2 --connect-timeout 30 --max-time 60 \
    --output "$work/SOURCE_COMMIT" "$url/SOURCE_COMMIT"; then
    built_from=$(tr -d ' \r\n' <"$work/SOURCE_COMMIT")
  fi
  [ "$built_from" = "$ref" ] || build "commit $ref is not the one release $tag of $repo was built from"
fi

case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
  Linux/X64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64) target=aarch64-unknown-linux-musl ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  # Windows on Arm runs x64 programs through its emulation layer.
  Windows/X64 | Windows/ARM64) target=x86_64-pc-windows-msvc ;;
  *) die "release $tag of $repo has no ghpkg binary for ${RUNNER_OS:-an unknown OS} on ${RUNNER_ARCH:-an unknown architecture}: set build-from-source: true to build it with cargo" ;;
esac
case "$target" in
  *windows*) asset="ghpkg-$target.zip" ;;
  *) asset="ghpkg-$target.tar.gz" ;;
esac

# Downloads $1 from the release to $work; a failure stops the step, saying
# whether the release lacks the file or the download failed.
download() {
  local code status=0
  code=$(curl --fail --silent --show-error --location --retry 3 --retry-delay 2 \
    --connect-timeout 30 --max-time 300 --output "$work/$1" --write-out '%{http_code}' \
    "$url/$1") || status=$?
  [ "$status" -eq 0 ] && return 0
  if [ "$code" = 404 ]; then
    die "release $tag of $repo has no asset $1 ($url/$1 answers 404). If the release was published minutes ago its assets may still be uploading: re-run the job later. Otherwise pin the action to a release that has it, or set build-from-source: true to build ghpkg with cargo"
  fi
  die "cannot download $url/$1 (curl exit $status, HTTP ${code:-none}): re-run the job; if the network blocks github.com, set build-from-source: true"
}

echo "Downloading $asset from release $tag of $repo"
download SHA256SUMS
download "$asset"

# The line for the asset in the sha256sum format: HEX, two spaces (or a
# space and `*`), the file name.
expected=$(awk -v name="$asset" '$2 == name || $2 == "*" name { print tolower($1); exit }' "$work/SHA256SUMS")
[ -n "$expected" ] ||
  die "the SHA256SUMS of release $tag lists no checksum for $asset, so the download cannot be verified and is not run: report it at https://github.com/$repo/issues, and meanwhile set build-from-source: true"
actual=$(sha256 <"$work/$asset")
if [ "$actual" != "$expected" ]; then
  die "$asset from release $tag has SHA-256 $actual but the release's SHA256SUMS says $expected: the download is corrupt or was altered, so it is not run. Re-run the job; if it happens again, report it at https://github.com/$repo/issues and meanwhile set build-from-source: true"
fi
echo "SHA-256 verified: $actual  $asset"

dir="$temp/ghpkg-$tag-$target"
rm -rf "$dir"
mkdir -p "$dir"
case "$asset" in
  *.zip)
    if command -v unzip >/dev/null 2>&1; then
      unzip -q -o "$work/$asset" -d "$dir"
    else
      powershell -NoProfile -NonInteractive -Command \
        "Expand-Archive -LiteralPath '$work/$asset' -DestinationPath '$dir' -Force"
    fi
    ;;
  *) tar -xzf "$work/$asset" -C "$dir" ;;
esac
bin="$dir/ghpkg$exe"
[ -f "$bin" ] || die "$asset from release $tag holds no ghpkg$exe: report it at https://github.com/$repo/issues, and meanwhile set build-from-source: true"
chmod +x "$bin"

# The binary must run here and be the release's version.
says=$("$bin" --version 2>&1) || die "ghpkg from $asset does not run on this runner ($says): set build-from-source: true"
[ "$says" = "ghpkg ${tag#v}" ] ||
  die "ghpkg from $asset of release $tag says '$says', not 'ghpkg ${tag#v}': report it at https://github.com/$repo/issues"

echo "Installed $says to $dir"
output build false
output ghpkg "$bin"
native "$dir" >>"${GITHUB_PATH:-/dev/null}"
echo >>"${GITHUB_PATH:-/dev/null}"
