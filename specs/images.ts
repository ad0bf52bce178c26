// The apps' images as pure functions of stack config: where each is pushed or pulled, and how the program builds it.
import type { AppsProfile, BuildPlatform } from "../stacks/profile";
import type { AppSpec } from "./apps";
import { imageReference } from "./pods";

/** The Dockerfile of every app, relative to the build context (the repository root): `--build-arg APP=<app id>`. */
export const APP_DOCKERFILE = "apps/Dockerfile";
/** The build context of every app's image: the repository root, where the npm workspaces' lockfile is. */
export const BUILD_CONTEXT = ".";
/** The tag each app's BuildKit cache is kept under, in the app's own repository. */
export const BUILD_CACHE_TAG = "buildcache";

/** An app's repository in the stack's registry: `<imageRegistry>/<app id>`. */
export function appRepository(apps: Pick<AppsProfile, "imageRegistry">, app: AppSpec): string {
  return `${apps.imageRegistry}/${app.id}`;
}

/** The image a prebuilt app runs: `<repository>@<digest>` when `apps.imageDigests` pins it, else by `apps.imageTag`. */
export function prebuiltImage(apps: AppsProfile, app: AppSpec): string {
  return imageReference(appRepository(apps, app), apps.imageTag, apps.imageDigests[app.id]);
}

/**
 * The registry host of an image reference's repository, as Docker reads it (distribution/reference): the first
 * path component when it has a `.` or a `:` or is `localhost`, else Docker Hub (`docker.io`).
 */
export function registryHost(repository: string): string {
  const [first = "", ...rest] = repository.split("/");
  return rest.length > 0 && (first.includes(".") || first.includes(":") || first === "localhost") ? first : "docker.io";
}

/** How the program builds one app's image (the inputs of a `@pulumi/docker-build` Image, less the credentials). */
export interface AppImageBuild {
  /** Where it is pushed: `<repository>:<imageTag>`. */
  tags: string[];
  /** The build context, relative to the Pulumi program's directory (the repository root). */
  context: string;
  /** The Dockerfile, relative to the same directory. */
  dockerfile: string;
  buildArgs: { APP: string };
  platforms: BuildPlatform[];
  /**
   * BuildKit's cache in the registry the image goes to, under {@link BUILD_CACHE_TAG}: every stage's layers
   * (`mode: max`), so a CI runner or a fresh machine reuses the dependency layers instead of reinstalling them. The
   * cache manifest is an OCI image manifest, which every OCI registry stores; a registry that still refuses it only
   * loses the cache (`ignoreError`), not the build.
   */
  cacheFrom: { registry: { ref: string } }[];
  /** The cache export, when `apps.buildCache` is on; none otherwise (the import only finds nothing). */
  cacheTo: {
    registry: { ref: string; mode: "max"; imageManifest: true; ociMediaTypes: true; ignoreError: true };
  }[];
  /** The registry host the build logs in to when a user is configured. */
  registry: string;
}

/** The build of `app`'s image from {@link APP_DOCKERFILE}, pushed to the stack's registry. */
export function appImageBuild(apps: AppsProfile, app: AppSpec): AppImageBuild {
  const repository = appRepository(apps, app);
  const cache = `${repository}:${BUILD_CACHE_TAG}`;
  return {
    tags: [`${repository}:${apps.imageTag}`],
    context: BUILD_CONTEXT,
    dockerfile: APP_DOCKERFILE,
    buildArgs: { APP: app.id },
    platforms: [...apps.buildPlatforms],
    cacheFrom: [{ registry: { ref: cache } }],
    cacheTo: apps.buildCache
      ? [{ registry: { ref: cache, mode: "max", imageManifest: true, ociMediaTypes: true, ignoreError: true } }]
      : [],
    registry: registryHost(repository),
  };
}
