// Unit tests of the preferences' schema and the rules beyond it: each violation names its field.
import { violationsOf } from "@event-platform/service-kit";
import { describe, expect, it } from "vitest";
import { PreferencesBody, preferencesViolations } from "./api-schemas";

const everything = { email: true, allowPrivateAddresses: false };

describe("preferencesViolations", () => {
  it("accepts the defaults and complete channels", () => {
    expect(preferencesViolations({}, everything, "/body")).toEqual([]);
    expect(
      preferencesViolations(
        {
          in_app: false,
          email: true,
          email_address: "alice@example.org",
          webhook: true,
          webhook_url: "https://hooks.example.com/r",
        },
        everything,
        "/body",
      ),
    ).toEqual([]);
  });

  it("names each bad field: the address, a channel without its address or URL, email without SMTP, a private URL", () => {
    expect(preferencesViolations({ email: true, webhook: true }, everything, "/body")).toEqual([
      { path: "/body/email_address", message: "is required when email is true" },
      { path: "/body/webhook_url", message: "is required when webhook is true" },
    ]);
    expect(
      preferencesViolations(
        { email: true, email_address: "alice", webhook_url: "http://169.254.169.254/" },
        { email: false, allowPrivateAddresses: false },
        "/body",
      ),
    ).toEqual([
      {
        path: "/body/email_address",
        message: "must be an email address (local-part@domain, as in a browser's email field)",
      },
      {
        path: "/body/email",
        message: "the email channel is not available: this service has no SMTP server (SMTP_HOST is unset)",
      },
      { path: "/body/webhook_url", message: "must not point at a loopback, private or link-local address" },
    ]);
  });
});

describe("PreferencesBody", () => {
  it("refuses control characters, lone surrogates and bidi overrides in the URL and the address, naming the field", () => {
    for (const bad of ["\u0000", "\ud800", "\t", "\n", "\u202E", "\u0085"]) {
      const body = { webhook: false, webhook_url: `https://example.com/${bad}x`, email_address: `a${bad}@example.org` };
      const paths = violationsOf(PreferencesBody, body, "/body").map((v) => v.path);
      expect(paths, JSON.stringify(bad)).toEqual(["/body/email_address", "/body/webhook_url"]);
    }
    expect(violationsOf(PreferencesBody, { webhook_url: "https://example.com/ünï?q=%00" }, "/body")).toEqual([]);
  });
});
