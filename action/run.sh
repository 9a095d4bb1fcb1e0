#!/usr/bin/env bash
# The run step of action.yml: `command` picks the script, prune.sh (the
# default) or undo.sh.
set -euo pipefail
here="$(dirname "$0")"
case "${INPUT_COMMAND:-prune}" in
  prune | undo) exec bash "$here/${INPUT_COMMAND:-prune}.sh" ;;
  *)
    # shellcheck source=action/common.sh
    . "$here/common.sh"
    command=ghpkg
    fail "command must be prune or undo, not '${INPUT_COMMAND}'"
    ;;
esac
