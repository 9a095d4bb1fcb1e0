# Sourced by the action's run scripts (prune.sh, undo.sh): escaping for
# workflow commands, stopping on a bad input, and running ghpkg so that
# every failure leaves an `::error` annotation and a job summary, also when
# ghpkg stopped before it could write one (a usage error, a refused token).
# Runs on bash 3.2 (macOS) and Git Bash (Windows) as well.
# shellcheck shell=bash
# The summary is Markdown: its backticks are not command substitutions.
# shellcheck disable=SC2016

ghpkg="${GHPKG:-ghpkg}"

# A workflow command's message: %, CR and LF escaped as GitHub reads them, so
# an input's value cannot start a command of its own.
escape() {
  local text="${1//'%'/%25}"
  text="${text//$'\r'/%0D}"
  printf '%s' "${text//$'\n'/%0A}"
}

summary_size() {
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$GITHUB_STEP_SUMMARY" ]; then
    wc -c <"$GITHUB_STEP_SUMMARY" | tr -d ' '
  else
    echo 0
  fi
}

# Reports a failed `ghpkg $1` (exit status $2, message $3, the command line
# $4, empty when ghpkg never started): an annotation, and a job summary
# unless ghpkg wrote one since its size was $5.
report() {
  echo "::error title=ghpkg $1::$(escape "$3")"
  [ -n "${GITHUB_STEP_SUMMARY:-}" ] || return 0
  [ "$(summary_size)" = "$5" ] || return 0
  {
    printf '## ghpkg %s: failed (exit %s)\n\n' "$1" "$2"
    printf '```text\nerror: %s\n```\n\n' "$3"
    if [ "$2" = 2 ]; then
      printf 'A usage error: nothing was read or deleted. Check the step'"'"'s inputs'
      printf ' (`ghpkg %s --help` explains every flag).\n\n' "$1"
    fi
    if [ -n "$4" ]; then
      printf 'The command:\n\n```text\n%s\n```\n' "$4"
    fi
  } >>"$GITHUB_STEP_SUMMARY"
}

# Stops the step over a bad input: exit 2, as for ghpkg's own usage errors.
# The caller sets `command` (prune or undo).
fail() {
  report "${command:-prune}" 2 "$1" "" "$(summary_size)"
  exit 2
}

# Runs `ghpkg "$@"`, printing the command first, and exits with its status.
# ghpkg's stderr is passed through and also kept, so that on a failure its
# `error:` line becomes the annotation.
run_ghpkg() {
  local line log before status message
  line=$(printf 'ghpkg'; printf ' %q' "$@")
  echo "$line"
  log=$(mktemp "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/ghpkg-stderr.XXXXXX")
  before=$(summary_size)
  set +e
  {
    "$ghpkg" "$@" 2>&1 1>&3 3>&- | tee "$log" >&2
    status=${PIPESTATUS[0]}
  } 3>&1
  set -e
  if [ "$status" -ne 0 ]; then
    message=$(sed -n 's/^error: //p' "$log" | head -n 1)
    [ -n "$message" ] || message="ghpkg exited with status $status: $(tail -n 1 "$log")"
    report "$1" "$status" "$message" "$line" "$before"
  fi
  rm -f "$log"
  exit "$status"
}
