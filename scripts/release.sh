#!/usr/bin/env bash
# Builds the release archive of soarform for the host target: see usage() below.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/release.sh [--help]

Builds the release binary of soarform for the host target (cargo build --release --locked:
LTO, one codegen unit, stripped, as Cargo.toml's [profile.release] says) and writes, in dist/
at the top of the repository:

  soarform-<version>-<target>.tar.gz         soarform-<version>-<target>/ holding the binary,
                                             LICENSE, README.md and CHANGELOG.md
  soarform-<version>-<target>.tar.gz.sha256  its SHA-256, as `sha256sum -c` reads it

<version> is Cargo.toml's package version, <target> the host triple of rustc. It may be run
from any directory. CARGO_TARGET_DIR is honoured; SOARFORM_BUILD_COMMIT, when set, is the
commit the binary reports (else build.rs asks git). Where GNU tar is found, the archive is
reproducible: entries sorted, owned by 0:0, dated at the last commit (SOURCE_DATE_EPOCH when
set).
EOF
}

case "${1:-}" in
  "") ;;
  -h | --help)
    usage
    exit 0
    ;;
  *)
    echo "release.sh: unknown argument: $1 (see --help)" >&2
    exit 2
    ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
target="$(rustc -vV | sed -n 's/^host: //p')"
if [[ -z "$version" || -z "$target" ]]; then
  echo "release.sh: could not read the version from Cargo.toml or the host target from rustc -vV" >&2
  exit 1
fi
# Where cargo puts its output: CARGO_TARGET_DIR, a cargo config's build.target-dir, or target/.
target_dir="$(cargo metadata --format-version 1 --no-deps --locked |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
if [[ -z "$target_dir" ]]; then
  echo "release.sh: cargo metadata named no target directory" >&2
  exit 1
fi

name="soarform-${version}-${target}"
dist="$root/dist"
echo "== cargo build --release --locked (${target})"
started=$SECONDS
cargo build --release --locked --bin soarform
echo "built in $((SECONDS - started)) s"
binary="$target_dir/release/soarform"
[[ -x "$binary" ]] || {
  echo "release.sh: no binary at $binary" >&2
  exit 1
}

mkdir -p "$dist"
staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
mkdir "$staging/$name"
cp "$binary" "$staging/$name/soarform"
cp LICENSE README.md CHANGELOG.md "$staging/$name/"

archive="$dist/$name.tar.gz"
if tar --version 2>/dev/null | grep -q 'GNU tar'; then
  epoch="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
    -C "$staging" -cf - "$name" | gzip -9n >"$archive"
else
  tar -C "$staging" -cf - "$name" | gzip -9n >"$archive"
fi

if command -v sha256sum >/dev/null 2>&1; then
  (cd "$dist" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
else
  (cd "$dist" && shasum -a 256 "$name.tar.gz" >"$name.tar.gz.sha256")
fi

size() { wc -c <"$1" | tr -d ' '; }
echo "== made"
echo "binary:  $binary ($(size "$binary") bytes; $("$binary" --version))"
echo "archive: $archive ($(size "$archive") bytes)"
echo "sha256:  $dist/$name.tar.gz.sha256 ($(cut -d ' ' -f 1 "$dist/$name.tar.gz.sha256"))"
