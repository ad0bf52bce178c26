// The recurring service's configuration: the service kit's shared variables (HTTP, sidecar, database; no JWT, it has no user-facing routes) and the app id of the backend it invokes.
import { ConfigError, loadServiceConfig, type ServiceConfig } from "@event-platform/service-kit";
import Type from "typebox";
import { APPS } from "../../../specs/apps";

export { ConfigError };

/** The service's own variables, with their defaults. */
const OWN_VARIABLES = {
  // A Dapr app id is a Kubernetes name (a DNS-1123 label): it names the Deployment and the Service daprd resolves.
  BACKEND_APP_ID: Type.String({ pattern: "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", default: APPS.backend.id }),
};

export interface RecurringConfig extends ServiceConfig {
  /** The recurring service keeps the completion events it has handled in a database of its own. */
  database: NonNullable<ServiceConfig["database"]>;
  /** The Dapr app id of the backend, which creates next occurrences (`POST /internal/tasks/:id/next-occurrence`). */
  backendAppId: string;
}

/** Builds the configuration from environment variables (`process.env` in production); throws a `ConfigError`. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): RecurringConfig {
  const { service, own } = loadServiceConfig(APPS.recurring, { auth: false, own: OWN_VARIABLES }, env);
  const { database } = service;
  // The catalog gives the recurring service a database, so the kit read its settings.
  if (!database) throw new Error("The recurring service's configuration lacks its database settings");
  return { ...service, database, backendAppId: own.BACKEND_APP_ID };
}
