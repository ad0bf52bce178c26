// The charts the cluster tests install in place of the Helm repositories the program's releases name: the pinned upstream copies in the cache.
import { DAPR_HELM_REPO } from "../../components/dapr-control-plane";
import { STRIMZI_CHART } from "../../components/strimzi-operator";
import type { PinnedChart } from "../../local/cluster/plan-apply";
import { DAPR_VERSION, STRIMZI_VERSION, upstreamPaths } from "./upstream";

/**
 * The charts the program's `helm.v3.Release`s name, held locally at their pinned versions (test/support/upstream.ts).
 * Both folders are source forms: Strimzi's chart as tagged says `version: 0.1.1` in its Chart.yaml (the release
 * process stamps 1.2.0 into the published chart, whose templates are the same), and Dapr's chart from its Go module
 * says 0.0.0 with the image tag `edge`, so `global.tag` is set to the version, as Dapr's release process does
 * (FACTS.md, "Running the real pieces").
 */
export const PINNED_CHARTS: readonly PinnedChart[] = [
  { chart: STRIMZI_CHART, version: STRIMZI_VERSION, dir: upstreamPaths.strimziChart },
  {
    chart: "dapr",
    repo: DAPR_HELM_REPO,
    version: DAPR_VERSION,
    dir: upstreamPaths.daprChart,
    extraValues: { global: { tag: DAPR_VERSION } },
  },
];
