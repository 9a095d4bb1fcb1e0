#!/usr/bin/env bash
# The run step of action.yml for `command: undo`: runs `ghpkg undo` on each
# journal the `journal` input names (paths or globs, one per line), such as
# the journal artifact of the prune run to undo. ghpkg takes the owner,
# package and API from each journal; the token is the step's GITHUB_TOKEN.
set -euo pipefail
# shellcheck source=action/common.sh
. "$(dirname "$0")/common.sh"

command=undo
journals=()
while IFS= read -r pattern; do
  pattern=$(printf '%s' "$pattern" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//')
  [ -n "$pattern" ] || continue
  found=$(compgen -G "$pattern" || true)
  [ -n "$found" ] || fail "journal: no file matches '$pattern' in $(pwd): download the prune run's journal artifact first (actions/download-artifact with its run-id)"
  while IFS= read -r file; do
    journals+=("$file")
  done <<<"$found"
done <<<"${INPUT_JOURNAL:-}"
[ "${#journals[@]}" -gt 0 ] || fail "journal is empty: name the journal file(s) to undo"

# Each journal is undone on its own, in a subshell (run_ghpkg exits); the
# step fails if any of them did, after trying them all.
status=0
for journal in "${journals[@]}"; do
  (run_ghpkg undo "$journal") || status=$?
done
exit "$status"
