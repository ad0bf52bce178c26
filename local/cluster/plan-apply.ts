// Applies a plan of the Pulumi program (its resources.json) to a running harness as `pulumi up` would order it: Helm releases through the real Helm CLI, every Kubernetes object by server-side apply through kubectl.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ClusterClient } from "./cluster";

// Applying goes through kubectl, built from the same Kubernetes release as the server, rather than a Node client:
// kubectl is the reference implementation of server-side apply (`--server-side`, `--field-manager`, conflicts), of
// strict field validation (`--validate=strict`), of `kubectl diff --server-side` and of the warning handler (each
// `Warning` header of a response becomes a "Warning: ..." line on stderr), and it comes out of the same build as the
// server, so client and server always agree. @kubernetes/client-node would be a new dependency, and reading warning
// headers, diffing and strict validation would be ours to wire and keep right.

/** One entry of a plan's resources.json (infra/plan.js): type token, name, parent, dependencies and inputs. */
export interface PlanResource {
  type: string;
  name: string;
  parent?: { type: string; name: string };
  dependsOn: { type: string; name: string }[];
  inputs: Record<string, unknown>;
}

/** A Kubernetes object as the program renders it. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/**
 * A chart the harness holds locally for a chart that a `helm.v3.Release` names by repository: the pinned upstream copy.
 */
export interface PinnedChart {
  /** The Release's `chart` (such as `oci://quay.io/strimzi-helm/strimzi-kafka-operator` or `dapr`). */
  chart: string;
  /** The Release's `repositoryOpts.repo`, when it names one. */
  repo?: string;
  /** The one chart version the local copy is. */
  version: string;
  /** The unpacked chart folder. */
  dir: string;
  /** Values the local copy needs on top of the Release's to render as the published chart of `version` would. */
  extraValues?: Record<string, unknown>;
}

/** A Helm release as the harness installs it. */
export interface ReleaseSpec {
  /** The Pulumi resource name, such as `event-platform-dapr-release`. */
  resource: string;
  name: string;
  namespace: string;
  chart: PinnedChart;
  /** The Release's values with the chart's extra values merged in. */
  values: Record<string, unknown>;
  createNamespace: boolean;
  skipCrds: boolean;
}

/** One step of applying a plan, in order. */
export type PlanStep =
  | { kind: "release"; resource: string; release: ReleaseSpec }
  | { kind: "object"; resource: string; object: KubeObject };

/** Thrown when a plan cannot be mapped onto the harness (a chart it does not hold, a dependency cycle...). */
export class PlanApplyError extends Error {
  override name = "PlanApplyError";
}

const RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";

/**
 * Release inputs the harness honours, and those it knowingly leaves out: with no nodes nothing ever becomes ready, so
 * Helm's waiting (`atomic`, `timeout`, `skipAwait`, `waitForJobs`) cannot apply; `compat` is Pulumi's own marker.
 * Any other input could change what is rendered, so it is refused rather than silently ignored.
 */
const RELEASE_INPUTS = new Set([
  "chart",
  "version",
  "repositoryOpts",
  "name",
  "namespace",
  "values",
  "createNamespace",
  "skipCrds",
]);
const RELEASE_INPUTS_NOT_APPLICABLE = new Set([
  "atomic",
  "compat",
  "timeout",
  "skipAwait",
  "waitForJobs",
  "cleanupOnFail",
]);

const key = (ref: { type: string; name: string }) => `${ref.type}::${ref.name}`;

/** The object a `kubernetes:*` custom resource renders, or undefined for Helm releases, providers and other clouds. */
function objectOf(resource: PlanResource): KubeObject | undefined {
  const { type, inputs } = resource;
  if (!type.startsWith("kubernetes:") || type === RELEASE_TYPE || type.startsWith("pulumi:")) return undefined;
  const object = { ...inputs };
  delete object.__defaults;
  return object as unknown as KubeObject;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Deep merge of Helm values: maps merge key by key, anything else in `over` replaces `base` (as Helm merges values). */
function mergeValues(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = merged[k];
    merged[k] = isObject(b) && isObject(v) ? mergeValues(b, v) : v;
  }
  return merged;
}

/**
 * The Helm release a `kubernetes:helm.sh/v3:Release` resource describes, installed from the pinned chart that matches
 * its chart and repository. Throws {@link PlanApplyError} when no pinned chart matches, when the Release asks for a
 * version other than the pinned one, or when it carries an input the harness does not honour.
 */
export function releaseSpec(resource: PlanResource, charts: readonly PinnedChart[]): ReleaseSpec {
  const inputs = resource.inputs;
  const unknown = Object.keys(inputs).filter((k) => !RELEASE_INPUTS.has(k) && !RELEASE_INPUTS_NOT_APPLICABLE.has(k));
  if (unknown.length > 0)
    throw new PlanApplyError(`${resource.name}: Release inputs the harness does not honour: ${unknown.join(", ")}`);
  const chartName = String(inputs.chart ?? "");
  const repo = isObject(inputs.repositoryOpts) ? (inputs.repositoryOpts.repo as string | undefined) : undefined;
  const chart = charts.find((c) => c.chart === chartName && (c.repo ?? undefined) === (repo ?? undefined));
  if (!chart) {
    throw new PlanApplyError(
      `${resource.name}: no pinned chart for chart ${JSON.stringify(chartName)}${repo ? ` from ${repo}` : ""} ` +
        `(pinned: ${charts.map((c) => `${c.repo ? `${c.repo} ` : ""}${c.chart}`).join(", ")})`,
    );
  }
  if (inputs.version !== chart.version) {
    throw new PlanApplyError(
      `${resource.name}: the plan installs ${chartName} version ${JSON.stringify(inputs.version)}, ` +
        `but the pinned chart at ${chart.dir} is version ${chart.version}: update the pinned chart or the program`,
    );
  }
  const name = inputs.name;
  const namespace = inputs.namespace;
  if (typeof name !== "string" || typeof namespace !== "string")
    throw new PlanApplyError(`${resource.name}: a Release needs a name and a namespace to be installed here`);
  return {
    resource: resource.name,
    name,
    namespace,
    chart,
    values: mergeValues(isObject(inputs.values) ? inputs.values : {}, chart.extraValues ?? {}),
    createNamespace: inputs.createNamespace === true,
    skipCrds: inputs.skipCrds === true,
  };
}

/**
 * The steps that apply a plan, in the order the Pulumi engine would create its resources: every `Namespace` first,
 * then releases and objects in dependency order. A resource waits for what it depends on and what its ancestors
 * (components) depend on; depending on a component means depending on everything under it (Pulumi's semantics).
 * Ties keep the plan's registration order. Resources that are not Kubernetes objects or releases (random passwords,
 * TLS keys, `@pulumi/kafka` topics) only order the others. Throws {@link PlanApplyError} on a dependency cycle.
 */
export function planSteps(resources: readonly PlanResource[], charts: readonly PinnedChart[]): PlanStep[] {
  const byKey = new Map(resources.map((r) => [key(r), r]));
  const children = new Map<string, PlanResource[]>();
  for (const r of resources) {
    if (!r.parent) continue;
    const list = children.get(key(r.parent)) ?? [];
    list.push(r);
    children.set(key(r.parent), list);
  }
  const descendants = (k: string): string[] =>
    (children.get(k) ?? []).flatMap((child) => [key(child), ...descendants(key(child))]);
  const ancestors = (r: PlanResource): PlanResource[] => {
    const parent = r.parent ? byKey.get(key(r.parent)) : undefined;
    return parent ? [parent, ...ancestors(parent)] : [];
  };
  const dependencies = new Map(
    resources.map((r) => {
      const direct = [r, ...ancestors(r)].flatMap((x) => x.dependsOn.map(key));
      return [key(r), new Set(direct.flatMap((d) => [d, ...descendants(d)]).filter((d) => byKey.has(d)))] as const;
    }),
  );

  const order: PlanResource[] = [];
  const done = new Set<string>();
  const pending = [...resources];
  while (pending.length > 0) {
    const index = pending.findIndex((r) => [...(dependencies.get(key(r)) ?? [])].every((d) => done.has(d)));
    if (index === -1)
      throw new PlanApplyError(`dependency cycle among: ${pending.map((r) => `${r.type} ${r.name}`).join(", ")}`);
    const [next] = pending.splice(index, 1);
    if (!next) break;
    order.push(next);
    done.add(key(next));
  }

  const steps: PlanStep[] = [];
  for (const r of order) {
    if (r.type === RELEASE_TYPE) steps.push({ kind: "release", resource: r.name, release: releaseSpec(r, charts) });
    const object = objectOf(r);
    if (object) steps.push({ kind: "object", resource: r.name, object });
  }
  const isNamespace = (s: PlanStep) => s.kind === "object" && s.object.kind === "Namespace";
  return [...steps.filter(isNamespace), ...steps.filter((s) => !isNamespace(s))];
}

/** `kind/namespace/name`, for messages. */
export function objectRef(object: KubeObject): string {
  const ns = object.metadata.namespace;
  return `${object.kind}/${ns ? `${ns}/` : ""}${object.metadata.name}`;
}

/** What the server said to one object: accepted with its warnings, or refused with its message. */
export interface ObjectResult {
  /** `kind/namespace/name`. */
  ref: string;
  /** The Pulumi resource name, when the object came from a plan. */
  resource?: string;
  accepted: boolean;
  /** The server's `Warning` headers, as kubectl printed them (without the "Warning: " prefix). */
  warnings: string[];
  /** kubectl's stderr when refused: the server's message. */
  error?: string;
}

/** What Helm and the server said to one release. */
export interface ReleaseResult {
  resource: string;
  release: ReleaseSpec;
  installed: boolean;
  /** The server's warnings on the chart's objects, as Helm logged them. */
  warnings: string[];
  error?: string;
}

export interface AppliedPlan {
  releases: ReleaseResult[];
  objects: ObjectResult[];
  /** Every namespace the plan created or a release created, for {@link deletePlan}. */
  namespaces: string[];
}

const WARNING = "Warning: ";

/**
 * The server's warnings in a CLI's stderr, without the "Warning: " prefix: kubectl prints each as a line
 * `Warning: <text>`; Helm keeps client-go's default handler (k8s.io/client-go/rest/warnings.go, WarningLogger), which
 * logs through klog as `W... warnings.go:NN] "Warning: <text, Go-quoted>"`.
 */
export function warningsOf(stderr: string): string[] {
  const warnings: string[] = [];
  for (const raw of stderr.split("\n")) {
    const line = raw.trim();
    if (line.startsWith(WARNING)) {
      warnings.push(line.slice(WARNING.length));
      continue;
    }
    const quoted = /\] ("Warning: .*")$/.exec(line)?.[1];
    if (quoted) warnings.push(unquote(quoted).slice(WARNING.length));
  }
  return warnings;
}

/** A Go-quoted string's text: JSON's escapes cover what klog quotes in a warning; anything else is kept as written. */
function unquote(quoted: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return quoted.slice(1, -1).replaceAll('\\"', '"');
  }
}

export interface ApplyOptions {
  /** The field manager that owns what is applied (as Pulumi's provider is one manager per stack). */
  fieldManager: string;
  /** `--dry-run=server`: the server runs every admission and validation step, then stores nothing. */
  dryRun?: boolean;
}

/**
 * Server-side applies one object with strict field validation (an unknown or duplicate field is an error, not a
 * warning). Resolves to what the server said; never throws for a refusal.
 */
export async function applyObject(
  client: ClusterClient,
  object: KubeObject,
  options: ApplyOptions,
): Promise<ObjectResult> {
  const args = ["apply", "--server-side", `--field-manager=${options.fieldManager}`, "--validate=strict", "-f", "-"];
  if (options.dryRun) args.push("--dry-run=server");
  const result = await client.kubectl(args, JSON.stringify(object));
  const warnings = warningsOf(result.stderr);
  const ref = objectRef(object);
  if (result.code === 0) return { ref, accepted: true, warnings };
  const error = result.stderr
    .split("\n")
    .filter((line) => !line.startsWith(WARNING))
    .join("\n")
    .trim();
  return { ref, accepted: false, warnings, error };
}

/**
 * Installs one release with `helm install` from its pinned chart folder and values. It does not wait: with no nodes,
 * no pod ever runs, so what is judged is what the chart renders and the server accepts.
 */
export async function installRelease(
  client: ClusterClient,
  release: ReleaseSpec,
  resource: string,
): Promise<ReleaseResult> {
  const dir = await mkdtemp(path.join(client.connection.workDir, "values-"));
  try {
    const valuesFile = path.join(dir, "values.json");
    await writeFile(valuesFile, JSON.stringify(release.values));
    const args = ["install", release.name, release.chart.dir, "--namespace", release.namespace, "--values", valuesFile];
    if (release.createNamespace) args.push("--create-namespace");
    if (release.skipCrds) args.push("--skip-crds");
    const result = await client.helm(args);
    const warnings = warningsOf(result.stderr);
    if (result.code === 0) return { resource, release, installed: true, warnings };
    return { resource, release, installed: false, warnings, error: result.stderr.trim() };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Applies a plan step by step ({@link planSteps}): each release with `helm install`, each object by server-side apply.
 * A refused object or release does not stop the others: every answer is collected, so one run reports every finding.
 */
export async function applyPlan(
  client: ClusterClient,
  resources: readonly PlanResource[],
  options: { fieldManager: string; charts: readonly PinnedChart[] },
): Promise<AppliedPlan> {
  const applied: AppliedPlan = { releases: [], objects: [], namespaces: [] };
  for (const step of planSteps(resources, options.charts)) {
    if (step.kind === "release") {
      applied.releases.push(await installRelease(client, step.release, step.resource));
      if (step.release.createNamespace) applied.namespaces.push(step.release.namespace);
    } else {
      const result = await applyObject(client, step.object, { fieldManager: options.fieldManager });
      applied.objects.push({ ...result, resource: step.resource });
      if (step.object.kind === "Namespace" && result.accepted) applied.namespaces.push(step.object.metadata.name);
    }
  }
  return applied;
}

/**
 * `kubectl diff --server-side` of objects against what the server holds, as the given field manager: the server
 * dry-runs the apply and kubectl compares the result with the live object, managed fields included. Resolves to the
 * exit code (0 no difference, 1 differences, more: an error such as a field-manager conflict), the diff and stderr.
 */
export async function diffObjects(
  client: ClusterClient,
  objects: readonly KubeObject[],
  fieldManager: string,
): Promise<{ code: number; diff: string; stderr: string }> {
  const input = objects.map((o) => JSON.stringify(o)).join("\n");
  const result = await client.kubectl(
    ["diff", "--server-side", `--field-manager=${fieldManager}`, "--show-managed-fields", "-f", "-"],
    input,
  );
  return { code: result.code, diff: result.stdout, stderr: result.stderr };
}

/**
 * Removes what {@link applyPlan} created, as `pulumi destroy` and the namespace controller would: the releases
 * (`helm uninstall`), every object in the plan's namespaces, then the namespaces. The harness runs no controllers,
 * so the namespace controller's work is done here (k8s.io/kubernetes pkg/controller/namespace/deletion): delete every
 * namespaced resource of every kind in the namespace, clear finalizers no controller will ever clear, then remove the
 * namespace's own `kubernetes` finalizer through its `finalize` subresource. CRDs stay (Helm never deletes them
 * either). Throws when something is left behind.
 */
export async function deletePlan(client: ClusterClient, applied: AppliedPlan): Promise<void> {
  const must = async (args: string[], input?: string) => {
    const result = await client.kubectl(args, input);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${result.stderr.trim()}`);
    return result.stdout;
  };
  for (const release of applied.releases.filter((r) => r.installed)) {
    const result = await client.helm(["uninstall", release.release.name, "--namespace", release.release.namespace]);
    if (result.code !== 0) throw new Error(`helm uninstall ${release.release.name}: ${result.stderr.trim()}`);
  }
  const kinds = (await must(["api-resources", "--namespaced", "--verbs=list,delete", "-o", "name"]))
    .split("\n")
    // Events are recorded by the server itself and expire on their own; they hold nothing the plan made.
    .filter((kind) => kind && kind !== "events" && kind !== "events.events.k8s.io")
    .join(",");
  const namespaces = [...new Set(applied.namespaces)];
  for (const namespace of namespaces) {
    await must(["delete", kinds, "--all", "--namespace", namespace, "--wait=false", "--ignore-not-found"]);
    const left = (await must(["get", kinds, "--namespace", namespace, "-o", "name", "--ignore-not-found"]))
      .split("\n")
      .filter(Boolean);
    for (const name of left) {
      await must(["patch", name, "--namespace", namespace, "--type=merge", "-p", '{"metadata":{"finalizers":null}}']);
    }
    await must(["delete", "namespace", namespace, "--wait=false", "--ignore-not-found"]);
    const finalize = { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace }, spec: { finalizers: [] } };
    await must(["replace", "--raw", `/api/v1/namespaces/${namespace}/finalize`, "-f", "-"], JSON.stringify(finalize));
  }
  for (const namespace of namespaces) {
    const stillThere = await client.kubectl(["get", "namespace", namespace, "-o", "name", "--ignore-not-found"]);
    if (stillThere.stdout.trim()) throw new Error(`namespace ${namespace} is still there after its deletion`);
  }
}
