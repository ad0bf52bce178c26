// Unit tests of the webhook channel: Standard Webhooks signatures the library verifies, URL rules, and real requests to a local HTTP server (private addresses refused unless allowed, statuses, timeouts).
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ForbiddenAddressError } from "./address-policy";
import type { DeliveryContent } from "./reminder";
import { newWebhookSecret, sendWebhook, signedHeaders, webhookBody, webhookId, webhookUrlProblem } from "./webhook";

const content: DeliveryContent = {
  reminder_id: "6f9619ff-8b86-4011-b42d-00c04fc964ff",
  task_id: 7,
  user_id: "alice",
  remind_at: "2026-12-01T10:00:00.000Z",
  title: "Pay rent",
  triggered_at: "2026-12-01T10:00:01.000Z",
};

describe("signatures", () => {
  it("are what the standardwebhooks library verifies, with the secret the service generates", () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const body = webhookBody(content);
    const headers = signedHeaders(secret, webhookId(content.reminder_id), new Date(), body);
    expect(headers["webhook-id"]).toBe("reminder_6f9619ff-8b86-4011-b42d-00c04fc964ff");
    expect(new Webhook(secret).verify(body, headers)).toEqual({
      type: "reminder.triggered",
      timestamp: content.triggered_at,
      data: content,
    });
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow("No matching signature found");
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow("No matching signature found");
  });
});

describe("webhookUrlProblem", () => {
  it("takes http(s) URLs without credentials, and private IP hosts only when allowed", () => {
    expect(webhookUrlProblem("https://hooks.example.com/reminders?token=abc", false)).toBeUndefined();
    expect(webhookUrlProblem("http://127.0.0.1:8080/hook", true)).toBeUndefined();
    expect(webhookUrlProblem("hooks.example.com/x", false)).toBe(
      "must be an absolute URL with a host and a port from 1 to 65535",
    );
    expect(webhookUrlProblem("ftp://hooks.example.com/x", false)).toBe("must be a URL with the scheme https or http");
    expect(webhookUrlProblem("javascript:alert(1)", false)).toBe("must be a URL with the scheme https or http");
    expect(webhookUrlProblem("https://user:pass@hooks.example.com/", false)).toBe(
      "must not contain a user name or password",
    );
    for (const url of ["http://127.0.0.1/", "http://[::1]/", "http://169.254.169.254/latest", "http://10.0.0.8:80/"]) {
      expect(webhookUrlProblem(url, false), url).toBe("must not point at a loopback, private or link-local address");
    }
  });
});

describe("sendWebhook", () => {
  let server: Server;
  let port: number;
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  let answer = 200;
  let delayMs = 0;

  beforeAll(async () => {
    server = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      setTimeout(() => response.writeHead(answer).end("ok"), delayMs);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const allowed = { timeoutMs: 2_000, allowPrivateAddresses: true };

  it("POSTs the signed JSON body, which the receiver verifies, and resolves on 2xx", async () => {
    const secret = newWebhookSecret();
    await sendWebhook(`http://127.0.0.1:${port}/hook`, secret, content, allowed);
    const last = received.at(-1);
    expect(last?.headers["content-type"]).toBe("application/json");
    expect(new Webhook(secret).verify(last?.body ?? "", last?.headers as Record<string, string>)).toMatchObject({
      data: content,
    });
  });

  it("throws on any other status, and after the timeout", async () => {
    answer = 500;
    await expect(sendWebhook(`http://127.0.0.1:${port}/`, newWebhookSecret(), content, allowed)).rejects.toThrow(
      "the webhook answered 500",
    );
    answer = 302;
    await expect(sendWebhook(`http://127.0.0.1:${port}/`, newWebhookSecret(), content, allowed)).rejects.toThrow(
      "the webhook answered 302",
    );
    answer = 200;
    delayMs = 1_000;
    await expect(
      sendWebhook(`http://127.0.0.1:${port}/`, newWebhookSecret(), content, { ...allowed, timeoutMs: 200 }),
    ).rejects.toThrow("no answer within 200 ms");
    delayMs = 0;
  });

  it("refuses loopback unless allowed, written as an IP or as a name that resolves to one, before any byte is sent", async () => {
    const count = received.length;
    const denied = { timeoutMs: 2_000, allowPrivateAddresses: false };
    await expect(sendWebhook(`http://127.0.0.1:${port}/`, newWebhookSecret(), content, denied)).rejects.toThrow(
      ForbiddenAddressError,
    );
    await expect(sendWebhook(`http://localhost:${port}/`, newWebhookSecret(), content, denied)).rejects.toThrow(
      /resolves only to addresses outside the public internet/,
    );
    expect(received.length).toBe(count);
  });
});
