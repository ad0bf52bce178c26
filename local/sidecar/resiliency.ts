// Dapr `Resiliency` resources: named retry and timeout policies and which pub/sub component uses them inbound (delivery) and outbound (publish).
import { durationField } from "./duration";
import { DEFAULT_RETRY, type RetryPolicy } from "./retry";

export type Direction = "inbound" | "outbound";

/** The policies a pub/sub component runs with in one direction; absent fields mean "none". */
export interface ComponentPolicies {
  retry?: RetryPolicy;
  timeoutMs?: number;
}

interface PolicyNames {
  retry?: string;
  timeout?: string;
}

/** Every Resiliency loaded for this app, merged as daprd merges them: later names override earlier ones. */
export class ResiliencyPolicies {
  private readonly retries = new Map<string, RetryPolicy>();
  private readonly timeouts = new Map<string, number>();
  private readonly components = new Map<string, Record<Direction, PolicyNames>>();
  readonly names: string[] = [];

  /** Adds one Resiliency resource; throws a message naming the resource and field when something does not parse. */
  add(resource: { metadata: { name: string }; spec?: unknown }): void {
    const where = `Resiliency "${resource.metadata.name}"`;
    const spec = asRecord(resource.spec, `${where}: spec`);
    const policies = asRecord(spec.policies ?? {}, `${where}: spec.policies`);
    for (const [name, value] of Object.entries(asRecord(policies.retries ?? {}, `${where}: spec.policies.retries`))) {
      this.retries.set(name, parseRetry(name, value, `${where}: spec.policies.retries.${name}`));
    }
    for (const [name, value] of Object.entries(asRecord(policies.timeouts ?? {}, `${where}: spec.policies.timeouts`))) {
      this.timeouts.set(name, durationField(value, `${where}: spec.policies.timeouts.${name}`));
    }
    const targets = asRecord(spec.targets ?? {}, `${where}: spec.targets`);
    const components = asRecord(targets.components ?? {}, `${where}: spec.targets.components`);
    for (const [component, value] of Object.entries(components)) {
      const field = `${where}: spec.targets.components.${component}`;
      const directions = asRecord(value, field);
      this.components.set(component, {
        inbound: policyNames(directions.inbound, `${field}.inbound`),
        outbound: policyNames(directions.outbound, `${field}.outbound`),
      });
    }
    this.names.push(resource.metadata.name);
  }

  /**
   * The policies of a pub/sub component in one direction. A component named in `targets.components` gets exactly
   * what is named there (nothing else); any other falls back to daprd's default-policy names
   * (`DefaultPubsubComponentInboundRetryPolicy`, `DefaultComponentInboundRetryPolicy`, `DefaultComponentRetryPolicy`,
   * `DefaultRetryPolicy`, and the same for timeouts).
   */
  forComponent(component: string, direction: Direction): ComponentPolicies {
    const named = this.components.get(component)?.[direction];
    const names = named ?? this.defaultNames(direction);
    const where = `Resiliency target ${component}.${direction}`;
    const retry = names.retry === undefined ? undefined : this.retries.get(names.retry);
    if (names.retry !== undefined && !retry) throw new Error(`${where}: no retry policy named "${names.retry}".`);
    const timeoutMs = names.timeout === undefined ? undefined : this.timeouts.get(names.timeout);
    if (names.timeout !== undefined && timeoutMs === undefined) {
      throw new Error(`${where}: no timeout policy named "${names.timeout}".`);
    }
    return { ...(retry ? { retry } : {}), ...(timeoutMs === undefined ? {} : { timeoutMs }) };
  }

  private defaultNames(direction: Direction): PolicyNames {
    const level = direction === "inbound" ? "Inbound" : "Outbound";
    const candidates = [`PubsubComponent${level}`, `Component${level}`, "Component", ""];
    const first = (kind: "Retry" | "Timeout", has: (name: string) => boolean) =>
      candidates.map((c) => `Default${c}${kind}Policy`).find(has);
    const retry = first("Retry", (name) => this.retries.has(name));
    const timeout = first("Timeout", (name) => this.timeouts.has(name));
    return { ...(retry ? { retry } : {}), ...(timeout ? { timeout } : {}) };
  }
}

function parseRetry(name: string, value: unknown, field: string): RetryPolicy {
  const spec = asRecord(value, field);
  if (spec.matching !== undefined) {
    throw new Error(`${field}.matching: retry conditions are not supported by the development sidecar; remove them.`);
  }
  const policy = spec.policy ?? DEFAULT_RETRY.policy;
  if (policy !== "constant" && policy !== "exponential") {
    throw new Error(
      `${field}.policy: unexpected back off policy type ${JSON.stringify(policy)}; use constant or exponential.`,
    );
  }
  const maxRetries = spec.maxRetries ?? DEFAULT_RETRY.maxRetries;
  if (typeof maxRetries !== "number" || !Number.isInteger(maxRetries) || maxRetries < -1) {
    throw new Error(
      `${field}.maxRetries: expected an integer ≥ -1 (-1 retries forever), got ${JSON.stringify(maxRetries)}.`,
    );
  }
  return {
    ...DEFAULT_RETRY,
    name,
    policy,
    maxRetries,
    ...(spec.duration === undefined ? {} : { durationMs: durationField(spec.duration, `${field}.duration`) }),
    ...(spec.maxInterval === undefined
      ? {}
      : { maxIntervalMs: durationField(spec.maxInterval, `${field}.maxInterval`) }),
  };
}

function policyNames(value: unknown, field: string): PolicyNames {
  if (value === undefined) return {};
  const spec = asRecord(value, field);
  if (spec.circuitBreaker !== undefined) {
    throw new Error(
      `${field}.circuitBreaker: circuit breakers are not supported by the development sidecar; remove it.`,
    );
  }
  const name = (key: "retry" | "timeout") => {
    const v = spec[key];
    if (v === undefined || v === "") return {};
    if (typeof v !== "string") throw new Error(`${field}.${key}: expected a policy name, got ${JSON.stringify(v)}.`);
    return { [key]: v };
  };
  return { ...name("retry"), ...name("timeout") };
}

export function asRecord(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${field}: expected a mapping, got ${JSON.stringify(value)}.`);
  }
  return value as Record<string, unknown>;
}
