#!/usr/bin/env bash
# The run step of action.yml: turns the action's inputs (INPUT_* variables)
# into one `ghpkg prune` command and runs it. ghpkg itself writes the job
# summary ($GITHUB_STEP_SUMMARY) and the step outputs ($GITHUB_OUTPUT).
# The ghpkg binary is $GHPKG, else `ghpkg` on the PATH.
set -euo pipefail

ghpkg="${GHPKG:-ghpkg}"
args=()

fail() {
  echo "::error title=ghpkg prune::$1"
  exit 2
}

# Inputs that take lists: one item per line or comma-separated, trimmed.
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
while IFS= read -r tag; do
  [ -n "$tag" ] && args+=(--tag "$tag")
done <<<"$(items "${INPUT_TAGS:-}")"
while IFS= read -r tag; do
  [ -n "$tag" ] && args+=(--exclude-tag "$tag")
done <<<"$(items "${INPUT_EXCLUDE_TAGS:-}")"

case "${INPUT_DRY_RUN:-true}" in
  true | TRUE | True) ;;
  false | FALSE | False)
    journal="${RUNNER_TEMP:-.}/ghpkg-journal-${GITHUB_RUN_ID:-local}-${GITHUB_RUN_ATTEMPT:-1}.jsonl"
    args+=(--yes --journal "$journal")
    ;;
  *) fail "dry-run must be true or false, not '${INPUT_DRY_RUN}'" ;;
esac

echo "ghpkg prune ${INPUT_TYPE:-container} ${args[*]}"
exec "$ghpkg" prune "${INPUT_TYPE:-container}" "${args[@]}"
