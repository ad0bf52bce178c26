// The live board's routes: its static files (index.html at `/`, board.css, board.js) and `/board/config.json`, each answer with a strict Content-Security-Policy; 404 saying so while BACKEND_PUBLIC_URL is unset.
import { resolve } from "node:path";
import { NotFoundError, responses } from "@event-platform/service-kit";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import Type from "typebox";

/** Where the board's files are: `apps/gateway/board`, beside `src/` (in the repository and in the image). */
export const BOARD_DIR = resolve(__dirname, "../board");

/** The board's files by the path they are served at. */
const BOARD_FILES = { "/": "index.html", "/board.css": "board.css", "/board.js": "board.js" } as const;
const CONFIG_PATH = "/board/config.json";

export interface BoardOptions {
  /** The folder of index.html, board.css and board.js. */
  boardDir: string;
  /** Where browsers reach the backend's REST API (BACKEND_PUBLIC_URL, no trailing slash); undefined: no board. */
  backendPublicUrl?: string;
}

/** What the board reads at start: where the REST API is, and the WebSocket path on this origin. */
export interface BoardConfig {
  backendUrl: string;
  wsPath: "/ws";
}

/** `GET /board/config.json` in the OpenAPI document: the board's config, or a 404 while the board is not served. */
const CONFIG_ROUTE = {
  schema: {
    operationId: "getBoardConfig",
    response: responses({
      200: Type.Object(
        {
          backendUrl: Type.String({ description: "Where browsers reach the backend's REST API (BACKEND_PUBLIC_URL)." }),
          wsPath: Type.Literal("/ws", { description: "The WebSocket path on this origin." }),
        },
        { additionalProperties: false },
      ),
    }),
  },
};

/**
 * The headers of every board answer. The CSP allows the board's own script and style only (no inline code), calls
 * to this origin (`'self'` covers same-origin `ws:`/`wss:` in CSP Level 3) and to the backend's origin, and
 * nothing else: no framing, no forms, no base URL.
 */
export function boardHeaders(backendPublicUrl: string | undefined): Record<string, string> {
  const connect = ["'self'", ...(backendPublicUrl === undefined ? [] : [new URL(backendPublicUrl).origin])];
  return {
    "content-security-policy": [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      `connect-src ${connect.join(" ")}`,
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  };
}

/** Registers the board's routes (GET, and HEAD by fastify). */
export async function registerBoardRoutes(server: FastifyInstance, options: BoardOptions): Promise<void> {
  const { boardDir, backendPublicUrl } = options;
  const headers = boardHeaders(backendPublicUrl);
  await server.register(async (scope) => {
    scope.addHook("onSend", async (_request, reply, payload) => {
      reply.headers(headers);
      return payload;
    });
    if (backendPublicUrl === undefined) {
      const unconfigured = async () => {
        throw new NotFoundError("The board is not configured here: the gateway has no BACKEND_PUBLIC_URL");
      };
      for (const path of Object.keys(BOARD_FILES)) scope.get(path, unconfigured);
      scope.get(CONFIG_PATH, CONFIG_ROUTE, unconfigured);
      return;
    }
    await scope.register(fastifyStatic, { root: boardDir, serve: false });
    for (const [path, file] of Object.entries(BOARD_FILES)) scope.get(path, (_request, reply) => reply.sendFile(file));
    const config: BoardConfig = { backendUrl: backendPublicUrl, wsPath: "/ws" };
    scope.get(CONFIG_PATH, CONFIG_ROUTE, async () => config);
  });
}
