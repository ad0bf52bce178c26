#!/usr/bin/env bash
# Downloads the pinned upstream Strimzi and Dapr CRDs into .cache/crds when ../shared/crds is absent, for test/support/k8s-schemas.ts.
set -euo pipefail

STRIMZI_VERSION="1.2.0"
DAPR_VERSION="1.18.3"
STRIMZI_FILES=(040-Crd-kafka.yaml 043-Crd-kafkatopic.yaml 044-Crd-kafkauser.yaml 045-Crd-kafkanodepool.yaml)
DAPR_FILES=(components.yaml configuration.yaml resiliency.yaml subscription.yaml)

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# The shared reference copy is what the tests read first; the download is only a stand-in for it.
if [[ -d "$repo_root/../shared/crds" ]]; then
  echo "fetch-crds: $repo_root/../shared/crds exists; nothing to download."
  exit 0
fi

dest="$repo_root/.cache/crds"

# Downloads to a temporary name first, so an interrupted run never leaves a truncated CRD that looks complete.
fetch() {
  local url="$1" target="$2"
  if [[ -s "$target" ]]; then
    return 0
  fi
  mkdir -p "$(dirname "$target")"
  curl --fail --silent --show-error --location --retry 3 --output "$target.part" "$url"
  mv "$target.part" "$target"
  echo "fetch-crds: $target"
}

strimzi_base="https://raw.githubusercontent.com/strimzi/strimzi-kafka-operator/${STRIMZI_VERSION}/packaging/install/cluster-operator"
for file in "${STRIMZI_FILES[@]}"; do
  fetch "$strimzi_base/$file" "$dest/strimzi-${STRIMZI_VERSION}/$file"
done

dapr_base="https://raw.githubusercontent.com/dapr/dapr/v${DAPR_VERSION}/charts/dapr/crds"
for file in "${DAPR_FILES[@]}"; do
  fetch "$dapr_base/$file" "$dest/dapr-${DAPR_VERSION}/$file"
done
