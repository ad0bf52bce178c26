// Unit tests of how the harness's build re-points a module's go.mod from its sibling folders to the published modules.
import { describe, expect, it } from "vitest";
import { repointLocalReplaces } from "./build";

describe("repointLocalReplaces", () => {
  it("re-points the replaces into sibling folders at the published modules and keeps the others", () => {
    const goMod = [
      "module go.etcd.io/etcd/server/v3",
      "replace (",
      "\tgo.etcd.io/etcd/api/v3 => ../api",
      "\tgo.etcd.io/etcd/pkg/v3 => ../pkg",
      ")",
      "replace go.etcd.io/etcd => ./FORBIDDEN_DEPENDENCY",
      "",
    ].join("\n");
    expect(repointLocalReplaces(goMod, "../", "v3.6.16", 2)).toBe(
      [
        "module go.etcd.io/etcd/server/v3",
        "replace (",
        "\tgo.etcd.io/etcd/api/v3 => go.etcd.io/etcd/api/v3 v3.6.16",
        "\tgo.etcd.io/etcd/pkg/v3 => go.etcd.io/etcd/pkg/v3 v3.6.16",
        ")",
        "replace go.etcd.io/etcd => ./FORBIDDEN_DEPENDENCY",
        "",
      ].join("\n"),
    );
  });

  it("throws when upstream's layout changed (another number of such replaces)", () => {
    expect(() =>
      repointLocalReplaces("replace k8s.io/api => ./staging/src/k8s.io/api\n", "./staging/", "v0.34.4", 31),
    ).toThrow("expected 31 replaces => ./staging/... in go.mod, found 1");
  });
});
