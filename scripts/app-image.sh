#!/usr/bin/env bash
# The steps of an app image's build, run by apps/Dockerfile and, without a Docker engine, by test/images.int.test.ts,
# which reproduces the image's final stage from them: one definition of what goes into an image. Run from the
# repository root (the build context).
# Usage: scripts/app-image.sh manifests SRC DEST   copies every package.json and package-lock.json under SRC to DEST,
#                                                  keeping their paths: all that the dependency installs read
#        scripts/app-image.sh install APP          in a folder of those manifests, installs the production
#                                                  dependencies of apps/APP's workspace (events, service-kit linked)
#        scripts/app-image.sh compile APP OUT      compiles apps/APP and the workspace code it imports into OUT, in the
#                                                  repository's layout, with the app's runtime files and OUT/main.js
#        scripts/app-image.sh assets APP OUT       copies only apps/APP's runtime files into OUT (part of compile)
set -euo pipefail

fail() {
  echo "app-image.sh: $*" >&2
  exit 2
}

# Folders no image reads from: dependencies and caches (installed or made inside the build), tests, local data.
PRUNED=(node_modules .git .cache dist data coverage test)

# Prints the files under $1 matching the find tests after it, leaving out the pruned folders, relative to $1.
find_under() {
  local dir=$1
  shift
  local prune=()
  for name in "${PRUNED[@]}"; do prune+=(-name "$name" -o); done
  (cd "$dir" && find . -mindepth 1 \( "${prune[@]}" -false \) -prune -o -type f "$@" -print | sed 's|^\./||' | sort)
}

# Copies each file of stdin (paths relative to $1) from $1 to $2, keeping its path.
copy_listed() {
  local from=$1 to=$2 file
  while IFS= read -r file; do
    mkdir -p "$to/$(dirname "$file")"
    cp "$from/$file" "$to/$file"
  done
}

# What the app reads at run time beside its code (such as the gateway's board/): every file of its folder but the
# TypeScript, the tests, the docs and the build's own configuration.
copy_assets() {
  find_under "apps/$1" ! -name '*.ts' ! -name '*.md' ! -name 'tsconfig*.json' ! -name package.json \
    ! -name '.*' ! -name 'Dockerfile*' | copy_listed "apps/$1" "$2/apps/$1"
}

# A workspace's package.json for its compiled code: `main` pointing at the emitted .js, no TypeScript `types`.
compiled_manifest() {
  node -e '
    const fs = require("node:fs");
    const [from, to] = process.argv.slice(1);
    const manifest = JSON.parse(fs.readFileSync(from, "utf8"));
    manifest.main = manifest.main.replace(/\.ts$/, ".js");
    delete manifest.types;
    fs.writeFileSync(to, `${JSON.stringify(manifest, null, 2)}\n`);
  ' "$1" "$2"
}

command=${1:-}
case $command in
  manifests)
    (($# == 3)) || fail "usage: manifests SRC DEST"
    find_under "$2" \( -name package.json -o -name package-lock.json \) | copy_listed "$2" "$3"
    ;;
  install)
    (($# == 2)) || fail "usage: install APP"
    # Scripts stay off: no dependency of the apps needs one, and none runs unreviewed inside the build.
    npm ci --omit=dev --workspace "@event-platform/$2" --ignore-scripts --no-audit --no-fund
    ;;
  compile)
    (($# == 3)) || fail "usage: compile APP OUT"
    app=$2 out=$3
    [[ -f apps/$app/tsconfig.build.json ]] || fail "no apps/$app/tsconfig.build.json: is $app a folder under apps/?"
    node_modules/.bin/tsc -p "apps/$app/tsconfig.build.json" --outDir "$out"
    # The compiled workspaces (events, service-kit, the app) resolve through their package.json, as in development.
    for dir in "$out"/*/ "$out"/apps/*/; do
      workspace=${dir#"$out"/}
      if [[ -f ${workspace}package.json ]]; then compiled_manifest "${workspace}package.json" "${dir}package.json"; fi
    done
    copy_assets "$app" "$out"
    printf 'require("./apps/%s/src/main.js");\n' "$app" >"$out/main.js"
    ;;
  assets)
    (($# == 3)) || fail "usage: assets APP OUT"
    copy_assets "$2" "$3"
    ;;
  *)
    fail "usage: app-image.sh manifests SRC DEST | install APP | compile APP OUT | assets APP OUT"
    ;;
esac
