// Turns a rendered custom resource (plain data from specs/) into a Pulumi resource, keeping its exact name.
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { KubernetesObject } from "../specs/dapr";

/** Creates `object` as a `CustomResource` named `<resourcePrefix>-<kind>-<name>` in Pulumi's state. */
export function customResource(
  resourcePrefix: string,
  object: KubernetesObject,
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  const { apiVersion, kind, metadata, ...rest } = object;
  return new k8s.apiextensions.CustomResource(
    `${resourcePrefix}-${kind.toLowerCase()}-${metadata.name}`,
    { apiVersion, kind, metadata, ...rest },
    opts,
  );
}
