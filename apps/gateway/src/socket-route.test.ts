// Unit tests of reading an upgrade's credentials: the subprotocols offered, the token from `bearer.<JWT>` or the Authorization header, never the query string.
import { UnauthorizedError } from "@event-platform/service-kit";
import { describe, expect, it } from "vitest";
import { offeredSubprotocols, upgradeAuthorization } from "./socket-route";

const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.c2lnbmF0dXJl";

describe("offeredSubprotocols", () => {
  it("splits the comma-separated list of one or several header lines", () => {
    expect(offeredSubprotocols("task-updates.v1, bearer.x")).toEqual(["task-updates.v1", "bearer.x"]);
    expect(offeredSubprotocols(["a,b", " c "])).toEqual(["a", "b", "c"]);
    expect(offeredSubprotocols(undefined)).toEqual([]);
    expect(offeredSubprotocols(" , ")).toEqual([]);
  });
});

describe("upgradeAuthorization", () => {
  it("takes the token of the bearer subprotocol, before an Authorization header", () => {
    expect(upgradeAuthorization({ "sec-websocket-protocol": `task-updates.v1, bearer.${JWT}` })).toBe(`Bearer ${JWT}`);
    expect(
      upgradeAuthorization({
        "sec-websocket-protocol": `bearer.${JWT},task-updates.v1`,
        authorization: "Bearer other",
      }),
    ).toBe(`Bearer ${JWT}`);
  });

  it("falls back on the Authorization header, and gives nothing when there is neither", () => {
    expect(upgradeAuthorization({ "sec-websocket-protocol": "task-updates.v1", authorization: `Bearer ${JWT}` })).toBe(
      `Bearer ${JWT}`,
    );
    expect(upgradeAuthorization({ "sec-websocket-protocol": "task-updates.v1" })).toBeUndefined();
  });

  it("refuses an upgrade that does not offer task-updates.v1, or offers two tokens", () => {
    expect(() => upgradeAuthorization({ "sec-websocket-protocol": `bearer.${JWT}` })).toThrow(UnauthorizedError);
    expect(() => upgradeAuthorization({ authorization: `Bearer ${JWT}` })).toThrow(
      "must offer the subprotocol task-updates.v1",
    );
    expect(() =>
      upgradeAuthorization({ "sec-websocket-protocol": `task-updates.v1, bearer.${JWT}, bearer.other` }),
    ).toThrow("more than one bearer subprotocol");
  });
});
