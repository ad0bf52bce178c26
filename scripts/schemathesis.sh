#!/usr/bin/env bash
# Runs schemathesis (PyPI), installed once at a pinned version into the project's cache (scripts/cache-dir.sh) with pip:
# the version and every dependency are pinned with their hashes in scripts/schemathesis-requirements.txt. A folder laid
# out like shared/ ($EVENT_PLATFORM_SHARED, else ../shared beside the repository) may hold the wheels under wheels/.
# Usage: scripts/schemathesis.sh ARG...       (schemathesis's own arguments, such as: run http://host/openapi.json ...)
#        scripts/schemathesis.sh --install    (only installs it, when the cache lacks it)
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5
root="$(cd "$(dirname "$0")/.." && pwd)"
requirements="$root/scripts/schemathesis-requirements.txt"
cache="$("$root/scripts/cache-dir.sh")"
python=$(command -v python3 || true)
if [[ -z $python ]] || ! "$python" -m pip --version >/dev/null 2>&1; then
  echo "schemathesis.sh: python3 with pip is needed to install schemathesis $SCHEMATHESIS_VERSION from PyPI (apt-get install python3-pip)." >&2
  exit 2
fi
# The Python version and the requirements' hash in the folder name: some wheels are built per Python version, and a
# changed pin installs afresh.
python_tag=$("$python" -c 'import sys; print(f"py{sys.version_info[0]}{sys.version_info[1]}")')
install_dir="$cache/schemathesis-$SCHEMATHESIS_VERSION-$python_tag-$(sha256sum "$requirements" | cut -c1-12)"

if [[ ! -f $install_dir/.complete ]]; then
  shared="${EVENT_PLATFORM_SHARED:-$root/../shared}"
  find_links=()
  [[ -d $shared/wheels ]] && find_links=(--find-links "$shared/wheels")
  echo "schemathesis.sh: installing schemathesis $SCHEMATHESIS_VERSION (PyPI) into $install_dir (once)" >&2
  mkdir -p "$cache"
  staging=$(mktemp -d "$install_dir.XXXXXX")
  trap 'rm -rf "$staging"' EXIT
  "$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --require-hashes \
    "${find_links[@]}" --target "$staging" -r "$requirements" >&2
  installed="$(PYTHONPATH="$staging" "$python" -m schemathesis.cli --version)"
  [[ $installed == *" $SCHEMATHESIS_VERSION"* ]] || { echo "schemathesis.sh: expected $SCHEMATHESIS_VERSION, got: $installed" >&2; exit 1; }
  touch "$staging/.complete"
  rm -rf "$install_dir"
  mv "$staging" "$install_dir"
fi

[[ ${1:-} == --install ]] && exit 0
PYTHONPATH="$install_dir" exec "$python" -m schemathesis.cli "$@"
