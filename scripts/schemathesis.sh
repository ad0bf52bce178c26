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
source "$root/scripts/pip-install.sh"
pip_need_python schemathesis "$SCHEMATHESIS_VERSION"
# The Python version and the requirements' hash in the folder name: some wheels are built per Python version, and a
# changed pin installs afresh.
python_tag=$("$python" -c 'import sys; print(f"py{sys.version_info[0]}{sys.version_info[1]}")')
install_dir="$cache/schemathesis-$SCHEMATHESIS_VERSION-$python_tag-$(sha256sum "$requirements" | cut -c1-12)"
schemathesis_version() { PYTHONPATH="$1" "$python" -m schemathesis.cli --version; }

if [[ ! -f $install_dir/.complete ]]; then
  pip_install_once schemathesis "$SCHEMATHESIS_VERSION" "$install_dir" schemathesis_version -r "$requirements"
fi

[[ ${1:-} == --install ]] && exit 0
PYTHONPATH="$install_dir" exec "$python" -m schemathesis.cli "$@"
