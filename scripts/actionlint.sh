#!/usr/bin/env bash
# Lints GitHub Actions workflows with actionlint, built once from source at a pinned version into the project's cache
# (scripts/cache-dir.sh; needs Go, the Go module proxy serves the source).
# Usage: scripts/actionlint.sh [FILE...]    (default: .github/workflows/*.yml)
#        scripts/actionlint.sh --install    (only builds it, when the cache lacks it)
set -euo pipefail

ACTIONLINT_VERSION=v1.7.12
root="$(cd "$(dirname "$0")/.." && pwd)"
bin_dir="$("$root/scripts/cache-dir.sh")/go-bin"
actionlint="$bin_dir/actionlint"

installed=""
[[ -x $actionlint ]] && installed="$("$actionlint" -version 2>/dev/null | head -n 1 || true)"
if [[ $installed != "$ACTIONLINT_VERSION" ]]; then
  go=$(command -v go || true)
  [[ -z $go && -x /usr/local/go/bin/go ]] && go=/usr/local/go/bin/go
  if [[ -z $go ]]; then
    echo "actionlint.sh: Go is needed to build actionlint $ACTIONLINT_VERSION; install Go (https://go.dev/dl/) and run again." >&2
    exit 2
  fi
  echo "actionlint.sh: building actionlint $ACTIONLINT_VERSION with $("$go" env GOVERSION) into $bin_dir (once; takes a minute)" >&2
  GOBIN="$bin_dir" "$go" install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
fi

[[ ${1:-} == --install ]] && exit 0

if (($# == 0)); then
  cd "$root"
  shopt -s nullglob
  set -- .github/workflows/*.yml
  if (($# == 0)); then
    echo "actionlint.sh: no workflow under .github/workflows" >&2
    exit 2
  fi
fi
echo "actionlint.sh: actionlint $ACTIONLINT_VERSION on $*" >&2
# shellcheck and pyflakes checks are left off so the result does not depend on what else the machine has installed.
exec "$actionlint" -no-color -shellcheck= -pyflakes= "$@"
