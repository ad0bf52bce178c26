// The gateway's configuration: the service kit's shared variables (HTTP, sidecar, JWT; no database) and its own (the backend's public URL for the board, allowed origins, heartbeat, per-socket buffer and per-user socket limits).
import {
  loadServiceConfig,
  Milliseconds,
  originEntries,
  originListProblems,
  type ServiceConfig,
  Url,
} from "@event-platform/service-kit";
import Type from "typebox";
import { APPS } from "../../../specs/apps";

/** The gateway's own variables, with their defaults. */
const GATEWAY_VARIABLES = {
  // Where browsers reach the backend's REST API: the board's `backendUrl`, and an origin its CSP lets it call.
  BACKEND_PUBLIC_URL: Type.Optional(Url({ protocols: ["https:", "http:"], credentials: false })),
  // Checked in `originProblems`: a comma-separated list of `scheme://host[:port]`.
  WS_ALLOWED_ORIGINS: Type.Optional(Type.String()),
  WS_PING_INTERVAL_MS: Milliseconds(100, 3_600_000, 30_000),
  // At least one large update must fit, else every socket of a busy user would be closed for nothing.
  WS_MAX_BUFFERED_BYTES: Type.Integer({ minimum: 1_024, maximum: 1_073_741_824, default: 1_048_576 }),
  WS_MAX_SOCKETS_PER_USER: Type.Integer({ minimum: 1, maximum: 1_000, default: 8 }),
};

type GatewayValues = Type.Static<Type.TObject<typeof GATEWAY_VARIABLES>>;

/** The WebSocket endpoint's settings. */
export interface SocketSettings {
  /**
   * The origins (`scheme://host[:port]`, as browsers send them in `Origin`) whose pages may open a socket; an
   * upgrade with another `Origin` is refused with 403. Undefined: any origin (WS_ALLOWED_ORIGINS unset).
   */
  allowedOrigins?: ReadonlySet<string>;
  /** How often each socket is pinged; a socket that has not answered by the next ping is terminated. */
  pingIntervalMs: number;
  /** The most bytes a socket may have waiting to be sent; a frame that would pass it closes the socket (4008). */
  maxBufferedBytes: number;
  /** The most sockets one user may hold open on one gateway instance; the next is closed (4029). */
  maxSocketsPerUser: number;
}

export interface GatewayConfig extends ServiceConfig {
  /** Every socket's user is authenticated by bearer JWT. */
  auth: NonNullable<ServiceConfig["auth"]>;
  /** BACKEND_PUBLIC_URL without a trailing slash; undefined: the board is not served (404 saying so). */
  backendPublicUrl?: string;
  sockets: SocketSettings;
}

/** Each entry of WS_ALLOWED_ORIGINS must be an origin as browsers send it; a list of only commas allows none, so is a mistake. */
function originProblems(e: GatewayValues): string[] {
  if (e.WS_ALLOWED_ORIGINS === undefined) return [];
  if (originEntries(e.WS_ALLOWED_ORIGINS).length === 0) {
    return ["WS_ALLOWED_ORIGINS lists no origin; unset it to allow any (got only commas)"];
  }
  return originListProblems("WS_ALLOWED_ORIGINS", e.WS_ALLOWED_ORIGINS);
}

/** Builds the configuration from environment variables (`process.env` in production); throws a `ConfigError`. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): GatewayConfig {
  const { service, own } = loadServiceConfig(
    APPS.gateway,
    { auth: true, own: GATEWAY_VARIABLES, problems: originProblems },
    env,
  );
  const { auth } = service;
  // `auth: true` asks for the JWT settings, so they are there.
  if (!auth) throw new Error("The gateway's configuration lacks its auth settings");
  const backendPublicUrl = own.BACKEND_PUBLIC_URL?.replace(/\/+$/, "");
  return {
    ...service,
    auth,
    ...(backendPublicUrl === undefined ? {} : { backendPublicUrl }),
    sockets: {
      ...(own.WS_ALLOWED_ORIGINS === undefined
        ? {}
        : { allowedOrigins: new Set(originEntries(own.WS_ALLOWED_ORIGINS)) }),
      pingIntervalMs: own.WS_PING_INTERVAL_MS,
      maxBufferedBytes: own.WS_MAX_BUFFERED_BYTES,
      maxSocketsPerUser: own.WS_MAX_SOCKETS_PER_USER,
    },
  };
}
