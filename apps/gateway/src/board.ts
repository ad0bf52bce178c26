// The live board's routes: its static files (index.html at `/`, board.css, board.js) and `/board/config.json`, each answer with a strict Content-Security-Policy; 404 saying so while BACKEND_PUBLIC_URL is unset.
import { resolve } from "node:path";
import { NotFoundError } from "@event-platform/service-kit";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";

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
      for (const path of [...Object.keys(BOARD_FILES), CONFIG_PATH]) scope.get(path, unconfigured);
      return;
    }
    await scope.register(fastifyStatic, { root: boardDir, serve: false });
    for (const [path, file] of Object.entries(BOARD_FILES)) scope.get(path, (_request, reply) => reply.sendFile(file));
    const config: BoardConfig = { backendUrl: backendPublicUrl, wsPath: "/ws" };
    scope.get(CONFIG_PATH, async () => config);
  });
}
