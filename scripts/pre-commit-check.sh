#!/usr/bin/env bash
# Runs the hooks of .pre-commit-hooks.yaml with pre-commit itself: see usage() below.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/pre-commit-check.sh [--help]

Checks .pre-commit-hooks.yaml with pre-commit itself, as a user's repository meets it:

  1. installs pre-commit with pip where it is missing;
  2. clones this repository's HEAD (committed work only) into a temporary directory, and
     makes a second git repository from examples/ with a .pre-commit-config.yaml naming the
     clone and both hooks;
  3. `pre-commit run --all-files`: both hooks must pass (pre-commit passes every YAML file by
     name, ci/*.yml among them: soarform skips what soarform.yaml's `exclude:` names);
  4. breaks one document and misformats another, stages both, `pre-commit run`: both hooks
     must fail, validate naming the broken file and line, fmt rewriting the misformatted one.

The first run builds soarform in pre-commit's environment (cargo install, release profile), which
takes about as long as scripts/release.sh. PRE_COMMIT_HOME is a temporary directory unless set,
so set it to reuse that build across runs. Not part of .ci/run for that reason; the hooks'
behaviour (names given one by one, exclude:, extends) is tested in tests/cli/validate.rs.
EOF
}

case "${1:-}" in
  "") ;;
  -h | --help)
    usage
    exit 0
    ;;
  *)
    usage >&2
    exit 2
    ;;
esac

repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export PRE_COMMIT_HOME="${PRE_COMMIT_HOME:-$work/pre-commit-home}"

fail() {
  echo "pre-commit-check: $*" >&2
  exit 1
}

if ! command -v pre-commit >/dev/null 2>&1; then
  python3 -m pip install --quiet pre-commit
fi
echo "== $(pre-commit --version)"

git clone --quiet "$repo" "$work/soarform"
rev="$(git -C "$work/soarform" rev-parse HEAD)"

user="$work/user"
mkdir "$user"
cp -R "$repo/examples/." "$user/"
cat >"$user/.pre-commit-config.yaml" <<EOF
repos:
  - repo: $work/soarform
    rev: $rev
    hooks:
      - id: soarform-validate
      - id: soarform-fmt
EOF
cd "$user"
git init --quiet
git add -A
git -c user.name=check -c user.email=check@localhost commit --quiet -m examples

echo "== pre-commit run --all-files (must pass)"
pre-commit run --all-files || fail "the hooks failed on the examples, which are valid and formatted"

echo "== a broken and a misformatted file (both hooks must fail)"
broken=incidents/identity/impossible-travel.yaml
misformatted=incidents/data/s3-public-bucket.yaml
printf '  unclosed: [\n' >>"$broken"
sed -i.orig 's/^key: /key:    /' "$misformatted" && rm -f "$misformatted.orig"
git add -A
set +e
pre-commit run >"$work/run.log" 2>&1
status=$?
set -e
cat "$work/run.log"
[ "$status" -ne 0 ] || fail "pre-commit passed with a broken file staged"
grep -q "soarform validate\.*Failed" "$work/run.log" || fail "soarform-validate did not fail"
grep -q -- "--> $broken:" "$work/run.log" || fail "validate did not name $broken"
grep -q "soarform fmt\.*Failed" "$work/run.log" || fail "soarform-fmt did not fail"
grep -q "^key: data/s3-bucket-public-read$" "$misformatted" || fail "fmt did not rewrite $misformatted"
echo "pre-commit-check: ok"
