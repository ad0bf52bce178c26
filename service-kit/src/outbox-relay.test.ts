// Unit tests of the relay lock keys: the backend's outbox keeps its key, every other schema gets one of its own.
import { describe, expect, it } from "vitest";
import { APP_LIST } from "../../specs/apps";
import { RELAY_LOCK_KEY, relayLockKey } from "./outbox-relay";

describe("relayLockKey", () => {
  it("keeps the public schema's key, so a relay of an earlier release and a new one never publish together", () => {
    expect(relayLockKey("public")).toBe(RELAY_LOCK_KEY);
  });

  it("gives every app's schema a key of its own, stable, below 2^32", () => {
    const schemas = ["public", ...APP_LIST.map((app) => app.id.replace(/-/g, "_"))];
    const keys = schemas.map(relayLockKey);
    expect(new Set(keys).size).toBe(schemas.length);
    for (const key of keys) {
      expect(Number.isInteger(key) && key >= 0 && key < 2 ** 32).toBe(true);
    }
    expect(relayLockKey("notification")).toBe(relayLockKey("notification"));
  });
});
