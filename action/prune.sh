#!/usr/bin/env bash
# The run step of action.yml for `command: prune`: turns the action's inputs
# (INPUT_* variables) into one `ghpkg prune` command and runs it. ghpkg
# itself writes the job summary ($GITHUB_STEP_SUMMARY) and the step outputs
# ($GITHUB_OUTPUT); common.sh adds both for failures ghpkg could not report.
# The ghpkg binary is $GHPKG, else `ghpkg` on the PATH.
set -euo pipefail
# shellcheck source=action/common.sh
. "$(dirname "$0")/common.sh"

command=prune
args=()

# Inputs that take lists: one item per line or comma-separated, trimmed. A
# glob with a comma in it (`{a,b}`) must go one per line.
items() {
  lines "$(printf '%s\n' "$1" | tr ',' '\n')"
}

# Inputs that take regexes: one per line, trimmed, as a regex may hold a
# comma (`v[0-9]{1,3}`).
lines() {
  printf '%s\n' "$1" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' | grep -v '^$' || true
}

# `--flag VALUE` for each of the values (one per line) in $2.
each() {
  local value
  while IFS= read -r value; do
    if [ -n "$value" ]; then
      args+=("$1" "$value")
    fi
  done <<<"$2"
}

flag() {
  case "$2" in
    true | TRUE | True) args+=("$1") ;;
    false | FALSE | False | "") ;;
    *) fail "$3 must be true or false, not '$2'" ;;
  esac
}

api() {
  printf '%s' "${GITHUB_API_URL:-https://api.github.com}"
}

lower() {
  printf '%s' "$1" | tr '[:upper:]' '[:lower:]'
}

# Prints org or user for the account $1. For the repository's own owner the
# event says (GHPKG_REPOSITORY_OWNER_TYPE, from github.event.repository);
# otherwise, or when the event has no repository, GitHub's GET /users/LOGIN
# does: its `type` is Organization or User, for both kinds of account. The
# token goes to the Actions API only, in curl's config on stdin rather than
# on its command line.
detect_owner_type() {
  local kind=""
  if [ "$(lower "$1")" = "$(lower "${GITHUB_REPOSITORY_OWNER:-}")" ]; then
    kind="${GHPKG_REPOSITORY_OWNER_TYPE:-}"
  fi
  if [ -z "$kind" ]; then
    kind=$(
      {
        if [ -n "${GITHUB_TOKEN:-}" ]; then
          printf 'header = "Authorization: Bearer %s"\n' "$GITHUB_TOKEN"
        fi
      } | curl --config - --fail --silent --retry 3 --max-time 60 \
        --header 'Accept: application/vnd.github+json' "$(api)/users/$1" |
        grep -o '"type"[[:space:]]*:[[:space:]]*"[A-Za-z]*"' | head -n 1 | sed 's/.*"\([A-Za-z]*\)"$/\1/'
    ) || true
  fi
  case "$kind" in
    Organization) echo org ;;
    User) echo user ;;
    *) return 1 ;;
  esac
}

[ -n "${INPUT_OWNER:-}" ] || fail "owner is empty"
login='^[A-Za-z0-9][A-Za-z0-9_-]*$'
[[ $INPUT_OWNER =~ $login ]] ||
  fail "owner '$INPUT_OWNER' is not a GitHub login (letters, digits, - and _)"
case "${INPUT_OWNER_TYPE:-auto}" in
  auto | org | user) ;;
  *) fail "owner-type must be auto, org or user, not '${INPUT_OWNER_TYPE}'" ;;
esac

packages=$(items "${INPUT_PACKAGES:-}")
[ -n "$packages" ] || fail "packages is empty: name the packages to prune, or * for all"
if [ "$packages" = "*" ]; then
  args+=(--all-packages)
else
  each --package "$packages"
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
each --tag "$(items "${INPUT_TAGS:-}")"
each --exclude-tag "$(items "${INPUT_EXCLUDE_TAGS:-}")"
each --tag-regex "$(lines "${INPUT_TAG_REGEX:-}")"
each --exclude-tag-regex "$(lines "${INPUT_EXCLUDE_TAG_REGEX:-}")"
each --version-name-regex "$(lines "${INPUT_VERSION_NAME_REGEX:-}")"
each --exclude-version-name-regex "$(lines "${INPUT_EXCLUDE_VERSION_NAME_REGEX:-}")"

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

# Last, once every input is known to be good: `auto` may ask the API.
owner_type="${INPUT_OWNER_TYPE:-auto}"
if [ "$owner_type" = auto ]; then
  owner_type=$(detect_owner_type "$INPUT_OWNER") ||
    fail "owner-type is auto, but whether $INPUT_OWNER is an organization or a user is unknown: neither the event nor $(api)/users/$INPUT_OWNER said. Set owner-type to org or user"
fi
args+=("--$owner_type" "$INPUT_OWNER")

run_ghpkg prune "${INPUT_TYPE:-container}" "${args[@]}"
