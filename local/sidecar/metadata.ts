// The metadata API, `GET /v1.0/metadata`: daprd's JSON shape (app id, components, subscriptions, app connection), filled from what this sidecar loaded.
import type { KafkaPubsubComponent } from "./component";
import type { TopicSubscription } from "./subscriptions";

export const RUNTIME_VERSION = "1.18-devsidecar";

export interface MetadataSource {
  appId: string;
  appPort: number;
  components: readonly KafkaPubsubComponent[];
  subscriptions: readonly TopicSubscription[];
}

export function metadataBody(source: MetadataSource): Record<string, unknown> {
  return {
    id: source.appId,
    runtimeVersion: RUNTIME_VERSION,
    enabledFeatures: [],
    actors: [],
    components: source.components.map((c) => ({ name: c.name, type: c.type, version: c.version, capabilities: [] })),
    httpEndpoints: [],
    subscriptions: source.subscriptions.map((s) => ({
      pubsubname: s.pubsubname,
      topic: s.topic,
      metadata: s.metadata,
      rules: { rules: s.rules.map((r) => ({ match: r.match, path: r.path })) },
      deadLetterTopic: s.deadLetterTopic ?? "",
      type: s.type,
    })),
    extended: { daprRuntimeVersion: RUNTIME_VERSION },
    appConnectionProperties: {
      port: source.appPort,
      protocol: "http",
      channelAddress: "127.0.0.1",
    },
  };
}
