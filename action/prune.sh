#!/usr/bin/env bash
# The run step of action.yml: turns the action's inputs (INPUT_* variables)
# into one `ghpkg prune` command and runs it. ghpkg itself writes the job
# summary ($GITHUB_STEP_SUMMARY) and the step outputs ($GITHUB_OUTPUT).
# The ghpkg binary is $GHPKG, else `ghpkg` on the PATH.
set -euo pipefail

ghpkg="${GHPKG:-ghpkg}"
args=()

# A workflow command's message: %, CR and LF escaped as GitHub reads them, so
# an input's value cannot start a command of its own.
escape() {
  local text="${1//'%'/%25}"
  text="${text//$'\r'/%0D}"
  printf '%s' "${text//$'\n'/%0A}"
}

fail() {
  echo "::error title=ghpkg prune::$(escape "$1")"
  exit 2
}

# Inputs that take lists: one item per line or comma-separated, trimmed. A
# glob with a comma in it (`{a,b}`) must go one per line.
items() {
  printf '%s\n' "$1" | tr ',' '\n' | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' | grep -v '^$' || true
}

flag() {
  case "${2,,}" in
    true) args+=("$1") ;;
    false | "") ;;
    *) fail "$3 must be true or false, not '$2'" ;;
  esac
}

[ -n "${INPUT_OWNER:-}" ] || fail "owner is empty"
case "${INPUT_OWNER_TYPE:-org}" in
  org) args+=(--org "$INPUT_OWNER") ;;
  user) args+=(--user "$INPUT_OWNER") ;;
  *) fail "owner-type must be org or user, not '${INPUT_OWNER_TYPE}'" ;;
esac

packages=$(items "${INPUT_PACKAGES:-}")
[ -n "$packages" ] || fail "packages is empty: name the packages to prune, or * for all"
if [ "$packages" = "*" ]; then
  args+=(--all-packages)
else
  while IFS= read -r package; do
    args+=(--package "$package")
  done <<<"$packages"
fi

for pair in "keep-last:${INPUT_KEEP_LAST:-}" "keep-tagged:${INPUT_KEEP_TAGGED:-}" \
  "keep-untagged:${INPUT_KEEP_UNTAGGED:-}" "older-than:${INPUT_OLDER_THAN:-}" \
  "registry-url:${INPUT_REGISTRY_URL:-}" "max-delete:${INPUT_MAX_DELETE:-}"; do
  name="${pair%%:*}"
  value="${pair#*:}"
  if [ -n "$value" ]; then
    args+=("--$name" "$value")
  fi
done
flag --untagged "${INPUT_UNTAGGED:-false}" untagged
flag --allow-unmatched-exclude "${INPUT_ALLOW_UNMATCHED_EXCLUDE:-false}" allow-unmatched-exclude
while IFS= read -r tag; do
  [ -n "$tag" ] && args+=(--tag "$tag")
done <<<"$(items "${INPUT_TAGS:-}")"
while IFS= read -r tag; do
  [ -n "$tag" ] && args+=(--exclude-tag "$tag")
done <<<"$(items "${INPUT_EXCLUDE_TAGS:-}")"

case "${INPUT_DRY_RUN:-true}" in
  true | TRUE | True) ;;
  false | FALSE | False)
    # One journal per step: two prune steps in a job must not share one.
    step="${GITHUB_ACTION:-prune}"
    journal="${RUNNER_TEMP:-.}/ghpkg-journal-${GITHUB_RUN_ID:-local}-${GITHUB_RUN_ATTEMPT:-1}-${step//[^A-Za-z0-9_.-]/_}.jsonl"
    args+=(--yes --journal "$journal")
    ;;
  *) fail "dry-run must be true or false, not '${INPUT_DRY_RUN}'" ;;
esac

printf 'ghpkg prune %q' "${INPUT_TYPE:-container}"
printf ' %q' "${args[@]}"
printf '\n'
exec "$ghpkg" prune "${INPUT_TYPE:-container}" "${args[@]}"
