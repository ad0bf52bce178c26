// One bundled service's image, built from the repository with BuildKit (@pulumi/docker-build) and pushed to the stack's registry.
import * as dockerbuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import type { AppImageBuild } from "../specs/images";

export interface AppImageArgs {
  /** What to build and where to push it (specs/images.ts `appImageBuild`). */
  build: AppImageBuild;
  /** The login to the build's registry, when it needs one: stack config `apps.registryUsername` and `registryPassword`. */
  credentials?: { username: string; password: pulumi.Output<string> };
}

/**
 * Builds and pushes one app's image. `ref` is `<tag>@<digest>` of the pushed image: a Deployment that runs it rolls
 * exactly when the image's content changes (the provider rebuilds when the context's files change, and an unchanged
 * build pushes the same digest), not when the tag is pushed again.
 */
export class AppImage extends pulumi.ComponentResource {
  /** The pushed image, pinned by digest. */
  readonly ref: pulumi.Output<string>;

  constructor(name: string, args: AppImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("event-platform:apps:AppImage", name, {}, opts);
    const { build, credentials } = args;
    const image = new dockerbuild.Image(
      `${name}-image`,
      {
        context: { location: build.context },
        dockerfile: { location: build.dockerfile },
        buildArgs: build.buildArgs,
        platforms: build.platforms,
        tags: build.tags,
        push: true,
        cacheFrom: build.cacheFrom,
        cacheTo: build.cacheTo,
        ...(credentials
          ? {
              registries: [
                {
                  address: build.registry,
                  username: credentials.username,
                  password: pulumi.secret(credentials.password),
                },
              ],
            }
          : {}),
      },
      { parent: this },
    );
    this.ref = image.ref;
    this.registerOutputs({ ref: this.ref });
  }
}
