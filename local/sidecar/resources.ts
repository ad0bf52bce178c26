// Loads the Dapr resources one sidecar runs with, from the objects specs/dapr.ts renders or from a folder of YAML files, scoped to its app id as daprd scopes them.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import type { KubernetesObject } from "../../specs/dapr";
import { type KafkaPubsubComponent, parseKafkaComponent, type SidecarIdentity } from "./component";
import { ResiliencyPolicies } from "./resiliency";
import { parseSubscriptionResource, type TopicSubscription } from "./subscriptions";

/** Where the resources come from: the rendered objects themselves, or a `--resources-path` folder. */
export type ResourceSource = readonly KubernetesObject[] | { dir: string };

export interface SidecarResources {
  components: KafkaPubsubComponent[];
  /** Declarative subscriptions scoped to this app. */
  subscriptions: TopicSubscription[];
  resiliency: ResiliencyPolicies;
  /** What was left out and why, for the start-up log. */
  skipped: string[];
}

/** Every resource in the folder's `.yaml`/`.yml` files (multi-document files included), in file-name order. */
export function readResourceDir(dir: string): KubernetesObject[] {
  let files: string[];
  try {
    files = readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile() && /\.ya?ml$/i.test(entry.name))
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    throw new Error(`Cannot read the resources folder ${dir}: ${(error as Error).message}`);
  }
  return files.flatMap((file) => {
    const location = path.join(dir, file);
    return parseAllDocuments(readFileSync(location, "utf8")).flatMap((doc, index) => {
      if (doc.errors.length > 0) throw new Error(`${location} (document ${index + 1}): ${doc.errors[0]?.message}`);
      const value: unknown = doc.toJS();
      if (value === null || value === undefined) return [];
      return [asKubernetesObject(value, `${location} (document ${index + 1})`)];
    });
  });
}

function asKubernetesObject(value: unknown, where: string): KubernetesObject {
  const object = value as Partial<KubernetesObject>;
  if (
    typeof object !== "object" ||
    typeof object.apiVersion !== "string" ||
    typeof object.kind !== "string" ||
    typeof object.metadata?.name !== "string"
  ) {
    throw new Error(`${where}: not a Kubernetes object (apiVersion, kind and metadata.name are required).`);
  }
  return object as KubernetesObject;
}

/** Whether a resource's `scopes` let this app load it: no scopes means every app. */
function inScope(resource: KubernetesObject, appId: string): boolean {
  const scopes = resource.scopes;
  return !Array.isArray(scopes) || scopes.length === 0 || scopes.includes(appId);
}

/**
 * Loads the resources for one app. Components, Subscriptions and Resiliencies scoped to other apps are left out,
 * as daprd leaves them out; anything the sidecar cannot honour fails here with a message that names it.
 */
export function loadResources(source: ResourceSource, identity: SidecarIdentity): SidecarResources {
  const objects = "dir" in source ? readResourceDir(source.dir) : source;
  const resources: SidecarResources = {
    components: [],
    subscriptions: [],
    resiliency: new ResiliencyPolicies(),
    skipped: [],
  };
  for (const object of objects) {
    const label = `${object.kind} "${object.metadata.name}"`;
    if (!object.apiVersion.startsWith("dapr.io/")) {
      resources.skipped.push(`${label} (${object.apiVersion}): not a Dapr resource`);
      continue;
    }
    if (!inScope(object, identity.appId)) {
      resources.skipped.push(`${label}: scoped to ${(object.scopes as string[]).join(", ")}`);
      continue;
    }
    switch (object.kind) {
      case "Component": {
        const type = (object.spec as { type?: unknown } | undefined)?.type;
        if (type !== "pubsub.kafka") {
          resources.skipped.push(`${label}: type ${String(type)} is not implemented by the development sidecar`);
          continue;
        }
        if (resources.components.some((c) => c.name === object.metadata.name)) {
          throw new Error(`${label} is declared twice.`);
        }
        resources.components.push(parseKafkaComponent(object, identity));
        break;
      }
      case "Subscription":
        resources.subscriptions.push(parseSubscriptionResource(object));
        break;
      case "Resiliency":
        resources.resiliency.add(object);
        break;
      case "Configuration":
        resources.skipped.push(`${label}: tracing, mTLS and metrics settings do not apply to the development sidecar`);
        break;
      default:
        resources.skipped.push(`${label}: kind ${object.kind} is not implemented by the development sidecar`);
    }
  }
  return resources;
}
