// The cluster test files' side of the harness: a client of the run's API server and namespaces of their own.
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { ClusterClient } from "../../local/cluster/cluster";
import { applyObject, deletePlan } from "../../local/cluster/plan-apply";

/** A client of the run's API server (started once by test/setup/cluster.ts). */
export function clusterClient(): ClusterClient {
  return new ClusterClient(inject("cluster"));
}

/**
 * A namespace of one test file's own (`<prefix>-<8 hex>`) with its `default` ServiceAccount, so the file can run beside the plan tests without touching
 * their namespaces: `create()` it with `labels` before the tests, `remove()` it (and everything in it) after. Both
 * throw with the server's message when the server refuses.
 */
export function scratchNamespace(prefix: string, labels: Record<string, string> = {}) {
  const name = `${prefix}-${randomBytes(4).toString("hex")}`;
  return {
    name,
    async create(): Promise<void> {
      const namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } };
      // The `default` ServiceAccount that a cluster's service-account controller would add (the harness runs no
      // controllers): the ServiceAccount admission plugin refuses a pod of a namespace without it.
      const account = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: name } };
      for (const object of [namespace, account]) {
        const result = await applyObject(clusterClient(), object, { fieldManager: "cluster-tests" });
        if (!result.accepted) throw new Error(`${object.kind} ${name} was refused: ${result.error}`);
      }
    },
    remove: () => deletePlan(clusterClient(), { releases: [], objects: [], namespaces: [name] }),
  };
}
