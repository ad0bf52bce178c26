// Turns a rendered custom resource (plain data from specs/) into a Pulumi resource, keeping its exact name.
import { CustomResource } from "@pulumi/kubernetes/apiextensions";
import type * as pulumi from "@pulumi/pulumi";
import type { KubernetesObject } from "../specs/dapr";

/** Creates `object` as a `CustomResource` named `<resourcePrefix>-<kind>-<name>` in Pulumi's state. */
export function customResource(
  resourcePrefix: string,
  object: KubernetesObject,
  opts: pulumi.CustomResourceOptions,
): CustomResource {
  const { apiVersion, kind, metadata, ...rest } = object;
  return new CustomResource(
    `${resourcePrefix}-${kind.toLowerCase()}-${metadata.name}`,
    { apiVersion, kind, metadata, ...rest },
    opts,
  );
}
