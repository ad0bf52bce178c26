// Unit tests of the sidecar client: a publish's body goes out as given, with the key as Dapr's metadata; the outbound health probe.
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SidecarClient } from "./sidecar-client";

describe("SidecarClient.publish", () => {
  const received: { url: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => {
      received.push({ url: req.url ?? "", body });
      res.writeHead(204).end();
    });
  });
  let client: SidecarClient;
  beforeAll(async () => {
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    client = new SidecarClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, timeoutMs: 2_000 });
  });
  afterAll(() => server.close());

  it("sends eventJson byte for byte, and an event value as JSON.stringify writes it", async () => {
    const text = '{ "id":"e1", "task_id":9007199254740993, "huge": 1e400, "id" :"e1"}';
    const key = "user-1\u0000tail";
    await client.publish({ pubsubName: "kafka-pubsub", topic: "task-events", eventJson: text, partitionKey: key });
    await client.publish({ pubsubName: "kafka-pubsub", topic: "task-events", event: { id: "e2" }, partitionKey: "u" });
    expect(received.map((r) => r.body)).toEqual([text, '{"id":"e2"}']);
    expect(new URL(received[0]?.url ?? "", "http://x").searchParams.get("metadata.partitionKey")).toBe(key);
  });
});

describe("SidecarClient.outboundHealthy", () => {
  let status = 204;
  const seen: { url: string; token: string | undefined }[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? "", token: req.headers["dapr-api-token"] as string | undefined });
    res.writeHead(status).end(status === 204 ? undefined : '{"errorCode":"ERR_OUTBOUND_HEALTH_NOT_READY"}');
  });
  let url = "";
  beforeAll(async () => {
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it("is true on 2xx from GET /v1.0/healthz/outbound, sent with the API token, false on 500 or no answer", async () => {
    const client = new SidecarClient({ url, apiToken: "sidecar-token", timeoutMs: 2_000 });
    expect(await client.outboundHealthy()).toBe(true);
    expect(seen).toEqual([{ url: "/v1.0/healthz/outbound", token: "sidecar-token" }]);
    status = 500;
    expect(await client.outboundHealthy()).toBe(false);
    const nobody = new SidecarClient({ url: "http://127.0.0.1:1", timeoutMs: 2_000 });
    expect(await nobody.outboundHealthy()).toBe(false);
  });
});
