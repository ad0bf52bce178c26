// Unit tests of the preference rules beyond the schema: each violation names its field.
import { describe, expect, it } from "vitest";
import { preferencesViolations } from "./api-schemas";

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
