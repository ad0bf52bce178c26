// The apps' image references and builds as pure functions of the apps' stack settings.
import { describe, expect, it } from "vitest";
import { dev } from "../stacks/dev";
import { APPS } from "./apps";
import { appImageBuild, prebuiltImage, registryHost } from "./images";

describe("registryHost", () => {
  it("is the first component when it names a host (a dot, a port or localhost), else Docker Hub", () => {
    expect(registryHost("ghcr.io/event-platform/backend")).toBe("ghcr.io");
    expect(registryHost("localhost:5001/backend")).toBe("localhost:5001");
    expect(registryHost("localhost/backend")).toBe("localhost");
    expect(registryHost("registry.example.com:5000/team/backend")).toBe("registry.example.com:5000");
    expect(registryHost("event-platform/backend")).toBe("docker.io");
    expect(registryHost("backend")).toBe("docker.io");
  });
});

describe("prebuiltImage", () => {
  it("is the app's repository by tag, or by digest when one pins it", () => {
    const digest = `sha256:${"c3".repeat(32)}`;
    const apps = { ...dev.apps, imageRegistry: "ghcr.io/org", imageTag: "1.2.3", imageDigests: { backend: digest } };
    expect(prebuiltImage(apps, APPS.backend)).toBe(`ghcr.io/org/backend@${digest}`);
    expect(prebuiltImage(apps, APPS.deadLetters)).toBe("ghcr.io/org/dead-letters:1.2.3");
  });
});

describe("appImageBuild", () => {
  it("builds apps/Dockerfile for the app from the repository root, tagged and cached in the app's repository", () => {
    const apps = { ...dev.apps, imageRegistry: "registry.example.com:5000/team", imageTag: "main" };
    expect(appImageBuild(apps, APPS.deadLetters)).toEqual({
      tags: ["registry.example.com:5000/team/dead-letters:main"],
      context: ".",
      dockerfile: "apps/Dockerfile",
      buildArgs: { APP: "dead-letters" },
      platforms: ["linux/amd64"],
      cacheFrom: [{ registry: { ref: "registry.example.com:5000/team/dead-letters:buildcache" } }],
      cacheTo: [
        {
          registry: {
            ref: "registry.example.com:5000/team/dead-letters:buildcache",
            mode: "max",
            imageManifest: true,
            ociMediaTypes: true,
            ignoreError: true,
          },
        },
      ],
      registry: "registry.example.com:5000",
    });
  });

  it("exports no cache with apps.buildCache off, still importing one that is there", () => {
    const build = appImageBuild({ ...dev.apps, buildCache: false }, APPS.backend);
    expect(build.cacheTo).toEqual([]);
    expect(build.cacheFrom).toEqual([{ registry: { ref: "localhost:5001/backend:buildcache" } }]);
  });
});
