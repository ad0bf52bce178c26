// Vitest global setup: one real Kubernetes API server (etcd + kube-apiserver) with the upstream Strimzi and Dapr CRDs, for every cluster test file of the run.
import path from "node:path";
import type { TestProject } from "vitest/node";
import { CLUSTER_VERSIONS } from "../../local/cluster/build";
import { type ClusterConnection, ClusterHarness } from "../../local/cluster/cluster";
import { PINNED_CHARTS } from "../support/pinned-charts";

declare module "vitest" {
  export interface ProvidedContext {
    /** How test files reach the run's API server. */
    cluster: ClusterConnection;
  }
}

const log = (line: string) => console.log(`[cluster] ${line}`);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const harness = await ClusterHarness.start({ log });
  try {
    const client = harness.client;
    const version = await client.version();
    const helmVersion = (await client.helm(["version", "--short"])).stdout.trim();
    log(
      `kube-apiserver ${version.gitVersion} (${version.goVersion}, ${version.platform}) with etcd ${CLUSTER_VERSIONS.etcd}; Helm ${helmVersion}`,
    );
    // Every CRD of both charts, as `helm install` would create them from the charts' crds/ folders; applied here once
    // so that test files that need no chart (refusals) have them, and so that uninstalling a chart never removes them.
    for (const chart of PINNED_CHARTS) {
      const crds = path.join(chart.dir, "crds");
      const applied = await client.kubectl(["apply", "--server-side", "--field-manager=cluster-harness", "-f", crds]);
      if (applied.code !== 0) throw new Error(`applying the CRDs of ${crds} failed:\n${applied.stderr}`);
    }
    const established = await client.kubectl(["wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"]);
    if (established.code !== 0) throw new Error(`the CRDs did not become established:\n${established.stderr}`);
    const names = established.stdout.split("\n").filter(Boolean).length;
    log(
      `${names} CRDs established; charts each plan installs with the Release's values: ${PINNED_CHARTS.map(
        (c) => `${c.chart} ${c.version} (from ${c.dir})`,
      ).join(", ")}; ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    project.provide("cluster", harness.connection);
  } catch (error) {
    await harness.stop();
    throw error;
  }
  return async () => {
    await harness.stop();
    log("kube-apiserver and etcd stopped");
  };
}
