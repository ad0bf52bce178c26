// Starts the development sidecar for one app: loads its Dapr resources, serves daprd's HTTP API, and runs its subscriptions on a real Kafka broker.
import { randomBytes } from "node:crypto";
import { Agent, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { KubernetesObject } from "../../specs/dapr";
import { createApiServer } from "./api-server";
import { AppChannel } from "./app-channel";
import type { HandledRecord } from "./component-consumer";
import { ComponentPublisher, errorText } from "./component-publisher";
import { KafkaPublisher } from "./kafka-publisher";
import { metadataBody } from "./metadata";
import { loadResources } from "./resources";
import { type ActiveSubscriptions, startSubscriptions } from "./subscribe";

/** How long `stop()` waits for the API's requests in flight, in ms: daprd's HTTP server Close (pkg/api/http/server.go). */
export const API_SHUTDOWN_TIMEOUT_MS = 10_000;

export interface SidecarOptions {
  /** The Dapr app id: `source` of wrapped events, default consumer group, scope of the resources. */
  appId: string;
  /** The app's HTTP port on 127.0.0.1, where events and invocations are delivered. */
  appPort: number;
  /** The sidecar's HTTP port (daprd's `--dapr-http-port`); 0 or none picks a free one. */
  httpPort?: number;
  /** Comma-separated bootstrap servers. They replace the components' `brokers`, which name the cluster's. */
  brokers: string;
  /** The rendered objects of specs/dapr.ts (`daprResources(settings)`), or a folder of Dapr YAML files. */
  resources: readonly KubernetesObject[] | { dir: string };
  /** App id → base URL for service invocation; this sidecar's own app id always means http://127.0.0.1:<appPort>. */
  appAddresses?: Record<string, string>;
  /**
   * The app API token (daprd's `APP_API_TOKEN`, from the `dapr.io/app-token-secret` annotation in Kubernetes): sent
   * as `dapr-api-token` on every call to the app (deliveries, `/dapr/subscribe`, invocations). None sends no token.
   */
  appToken?: string;
  /** App id → the app API token of other apps that service invocation reaches (their own sidecars' APP_API_TOKEN). */
  appTokens?: Record<string, string>;
  /** What `{podName}` expands to; a random id per start when not given. */
  instanceId?: string;
  /**
   * Put before every topic name and consumer group on the broker (publish, subscribe, dead letters), so parallel
   * tests never share topics or groups.
   */
  topicPrefix?: string;
  /** Lifecycle and delivery lines. */
  log?: (line: string) => void;
  /**
   * Called once a consumed record is final (delivered, dropped or dead-lettered) and its offset is marked for commit,
   * which is where daprd counts `dapr_component_pubsub_ingress_count`. A graceful stop commits every record reported
   * here; a record not yet reported may be redelivered. Topic names as the app knows them (no test prefix).
   */
  onRecordHandled?: (record: HandledRecord) => void;
}

export interface Sidecar {
  /** `http://127.0.0.1:<port>`, the base of daprd's API (`/v1.0/...`). */
  url: string;
  port: number;
  /**
   * Stops delivering to the app: leaves the consumer groups (deliveries in flight are abandoned uncommitted and
   * redelivered later) while the API keeps serving publish and invoke, so the app can still flush its outbox while
   * it shuts down. daprd's graceful shutdown does the same: subscriptions close first, and the app can still publish
   * during the grace period (dapr/dapr#4624; the shutdown API reference).
   */
  stopSubscriptions(): Promise<void>;
  /**
   * Leaves the consumer groups (uncommitted deliveries are redelivered later), then closes the API server as daprd
   * does: no new requests, and those in flight (a publish waiting for Kafka's acknowledgement) answered first, for at
   * most `API_SHUTDOWN_TIMEOUT_MS`.
   */
  stop(): Promise<void>;
}

/**
 * Starts a sidecar and resolves once it is fully up: components loaded and the broker reachable, API listening,
 * the app listening on its port, subscriptions read and every consumer group joined. Like daprd, the API
 * answers (publish, invoke, metadata) while the sidecar waits for the app; `/v1.0/healthz` turns 204 at the end.
 */
export async function startSidecar(options: SidecarOptions): Promise<Sidecar> {
  const log = options.log ?? (() => {});
  const identity = {
    appId: options.appId,
    instanceId: options.instanceId ?? `${options.appId}-${randomBytes(4).toString("hex")}`,
    namespace: "default",
  };
  const resources = loadResources(options.resources, identity);
  const brokers = options.brokers
    .split(",")
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) throw new Error("The sidecar needs at least one Kafka broker (brokers option).");
  const topicPrefix = options.topicPrefix ?? "";
  for (const line of resources.skipped) log(`not loaded: ${line}`);
  for (const c of resources.components) {
    log(
      `component loaded: ${c.name} (${c.type}/${c.version}; consumer group ${c.consumerGroup}; initialOffset ${c.initialOffset}; brokers ${brokers.join(",")}${c.declaredBrokers === brokers.join(",") ? "" : ` in place of ${c.declaredBrokers}`})`,
    );
  }
  if (resources.resiliency.names.length > 0) log(`resiliency loaded: ${resources.resiliency.names.join(", ")}`);

  const lifetime = new AbortController();
  const agent = new Agent({ keepAlive: true });
  const kafka = new KafkaPublisher(brokers, `${options.appId}-sidecar`);
  const components = new Map(resources.components.map((c) => [c.name, c]));
  const publisher = new ComponentPublisher(kafka, components, resources.resiliency, topicPrefix, lifetime.signal, log);
  const channel = new AppChannel(options.appPort, agent, options.appToken);
  const addresses = new Map(Object.entries(options.appAddresses ?? {}).map(([id, url]) => [id, new URL(url)]));
  // The sidecar's own app is always the one on its app port, with its own token.
  addresses.set(options.appId, channel.baseUrl);
  const appTokens = new Map(Object.entries(options.appTokens ?? {}));
  if (options.appToken) appTokens.set(options.appId, options.appToken);
  else appTokens.delete(options.appId);

  let server: Server | undefined;
  let active: ActiveSubscriptions | undefined;
  let ready = false;
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= shutdown();
    return stopped;
  };
  const shutdown = async () => {
    ready = false;
    await active?.stop();
    if (server) {
      // As daprd's HTTP server Close (pkg/api/http/server.go: http.Server.Shutdown with a 10 s context): no new
      // connections, idle ones closed, and the requests in flight answered before the API goes. A publish cut after
      // its record reached Kafka would be retried by the app and land twice.
      const open = server;
      const closing = new Promise<void>((resolve) => open.close(() => resolve()));
      open.closeIdleConnections();
      const deadline = setTimeout(() => open.closeAllConnections(), API_SHUTDOWN_TIMEOUT_MS);
      await closing;
      clearTimeout(deadline);
    }
    lifetime.abort();
    agent.destroy();
    await kafka.close().catch(() => {});
  };

  try {
    for (const component of resources.components) {
      // Fail now, naming the policy, rather than at the first publish or delivery.
      resources.resiliency.forComponent(component.name, "inbound");
      resources.resiliency.forComponent(component.name, "outbound");
    }
    await kafka.connect().catch((error: unknown) => {
      throw new Error(`Kafka at ${brokers.join(",")} is not reachable: ${errorText(error)}`);
    });
    server = createApiServer({
      publish: { appId: options.appId, publisher, log },
      invoke: { appId: options.appId, addresses, appTokens, agent },
      health: () => ({ ready, outbound: true }),
      metadata: () =>
        metadataBody({
          appId: options.appId,
          appPort: options.appPort,
          components: resources.components,
          subscriptions: active?.subscriptions ?? [],
        }),
      log,
    });
    const listening = server;
    await new Promise<void>((resolve, reject) => {
      listening.once("error", reject);
      listening.listen(options.httpPort ?? 0, "127.0.0.1", () => resolve());
    });
    const port = (listening.address() as AddressInfo).port;
    log(`HTTP API listening on http://127.0.0.1:${port}`);

    log(`waiting for the app on 127.0.0.1:${options.appPort}`);
    await channel.waitUntilListening(lifetime.signal);
    log(`app channel ready: http://127.0.0.1:${options.appPort}`);
    active = await startSubscriptions({
      appId: options.appId,
      components: resources.components,
      declarative: resources.subscriptions,
      resiliency: resources.resiliency,
      channel,
      publisher,
      brokers,
      topicPrefix,
      log,
      onRecordHandled: options.onRecordHandled,
      signal: lifetime.signal,
    });
    ready = true;
    log(`dapr development sidecar for ${options.appId} ready`);
    const stopSubscriptions = async () => {
      ready = false;
      await active?.stop();
    };
    return { url: `http://127.0.0.1:${port}`, port, stopSubscriptions, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
