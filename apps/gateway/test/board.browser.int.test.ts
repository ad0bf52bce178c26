// Issue #13, the board's acceptance line: the task board in Debian's Chromium (playwright-core), served by the real gateway (its own development sidecar on real Kafka, under the gateway's CSP) against the real backend (its sidecar, CORS for the gateway's origin). Sign in, list, create, complete, delete, the backend's messages, a 360 px screen; a task created through the REST API shown live from the gateway's frame to its user only; a completion on the board held by the API; a redelivered event applied once; 1001 on a gateway restart with the list reloaded; 4029 and 4001; no CSP violation or console error.
import { TOPICS } from "@event-platform/events";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../local/process";
import {
  launchChromium,
  type PageProblems,
  saveScreenshot,
  type TestBrowser,
  type WatchedPage,
} from "../../../test/support/browser";
import { testStore } from "../../../test/support/services";
import type { Backend } from "../../backend/src/app";
import type { TaskSnapshot } from "../../backend/src/task-snapshot";
import { startBackendSidecar, startTestBackend } from "../../backend/test/harness";
import { boardHeaders } from "../src/board";
import {
  Api,
  Cleanup,
  createTopics,
  deliver,
  type GatewayPod,
  newUser,
  startGatewayPod,
  TopicReader,
  tokenFor,
  tokenWith,
  uniqueTag,
  waitFor,
} from "./harness";

/**
 * The board's behaviour does not depend on the backend's database, and the REST and database side runs on both
 * kinds in the backend's own suites; with a gateway, its sidecar and a restart per kind, a second kind would double
 * this file's run time and prove nothing more about the board.
 */
const KIND = "postgres";

interface TaskPage {
  items: TaskSnapshot[];
  total: number;
}

/** A frame the board's WebSocket received: its text as sent, and the fields the tests look at. */
interface Frame {
  text: string;
  id: string;
  data: { user_id: string; action: string; task_id: number };
}

/** A board page and what reached it, recorded from its first navigation on. */
interface BoardPage extends WatchedPage {
  /** Every frame the page's WebSockets received, in order. */
  frames: Frame[];
  /** How many WebSockets the page opened. */
  sockets: number;
  /** How many times the board read its task list (GET /api/tasks with a query). */
  listLoads: number;
  /** Each text the connection status showed, in order (each change once). */
  states: string[];
}

// Runs in the page before its own scripts (init scripts are not subject to the page's CSP): reports each change of
// the connection status, so that a state the board shows only briefly (1001 before its first retry) is not missed.
const WATCH_CONNECTION = `document.addEventListener("DOMContentLoaded", () => {
  const status = document.getElementById("connection");
  let shown;
  const report = () => {
    if (status.textContent === shown) return;
    shown = status.textContent;
    window.__reportConnection(shown);
  };
  new MutationObserver(report).observe(status, { childList: true, characterData: true, subtree: true });
  report();
});`;

const LIVE = "Live";
const GOING_AWAY = "Reconnecting: the gateway is restarting (1001).";
const TOO_MANY = "Live updates stopped: too many boards are open for your account; close one, then reconnect (4029).";
const EXPIRED = "Signed out: your session expired (4001); sign in again.";

/** Where the board served at `boardUrl` opens its WebSocket (config `wsPath` /ws). */
const socketUrl = (boardUrl: string) => new URL("ws", boardUrl.replace(/^http/, "ws")).href;

/** The titles the board lists, in its order. */
const listedTitles = (page: Page) => page.locator("#tasks .task-title").allTextContents();

/** The focused element: its id, else its accessible label. */
const focusedElement = (page: Page) =>
  page.evaluate<string | null>(
    "document.activeElement?.id || document.activeElement?.getAttribute('aria-label') || null",
  );

/** The list item of a task, by its title. */
const itemOf = (page: Page, title: string) => page.locator("#tasks .task").filter({ hasText: title });

/** The connection status the board shows now. */
const connectionOf = (board: BoardPage) => board.states.at(-1);

/** Chromium's report of a failed load, as it words it. */
const failedLoad = (status: string) =>
  new RegExp(`^Failed to load resource: the server responded with a status of ${status}$`);

/** Chromium's report of a WebSocket to `boardUrl`'s /ws that did not open (`cause`: how it words why). */
const failedSocket = (boardUrl: string, cause: string) =>
  new RegExp(`^WebSocket connection to '${socketUrl(boardUrl)}' failed: ${cause}$`);

/** The console errors not matched by `expected`. */
const unexpectedErrors = (problems: PageProblems, expected: RegExp[]) =>
  problems.consoleErrors.filter((text) => !expected.some((pattern) => pattern.test(text)));

describe(`the task board in Chromium, served by the gateway (backend on ${KIND})`, () => {
  const cleanup = new Cleanup();
  const tag = uniqueTag();
  const prefix = `board-${tag}.`;
  const user = newUser("board");
  let browser: TestBrowser;
  let backend: Backend;
  let reader: TopicReader;
  /** The gateway now serving the board: the first, then the restarted one. */
  let pod: GatewayPod;
  let gatewayEnv: Record<string, string>;
  let boardUrl: string;
  let api: Api;
  let watched: WatchedPage;
  let page: Page;

  /**
   * Starts a gateway pod on the board's port (the same origin, so the open boards reconnect to it), its sidecar on
   * the backend's topic prefix, with a consumer group of its own (`instance`), as a new pod's `{podName}` is.
   */
  async function startPod(instance: string, env: Record<string, string> = {}): Promise<GatewayPod> {
    pod = cleanup.add(
      await startGatewayPod({
        topicPrefix: prefix,
        instanceId: `gateway-${instance}-${tag}`,
        env: { ...gatewayEnv, ...env },
      }),
    );
    return pod;
  }

  /**
   * Opens the board in a page of its own and signs in with `token`, recording its frames, list loads and
   * connection states. `clockOffsetMs` sets the page's clock that far from the machine's (Playwright's clock).
   */
  async function openBoard(token: string, clockOffsetMs = 0): Promise<BoardPage> {
    const opened = await browser.newPage({ timezoneId: "UTC", locale: "en-US" });
    const board: BoardPage = { ...opened, frames: [], sockets: 0, listLoads: 0, states: [] };
    const context = board.page.context();
    cleanup.add({ stop: () => context.close() });
    await context.exposeFunction("__reportConnection", (text: string) => board.states.push(text));
    await context.addInitScript(WATCH_CONNECTION);
    if (clockOffsetMs !== 0) await board.page.clock.install({ time: Date.now() + clockOffsetMs });
    board.page.on("websocket", (socket) => {
      board.sockets += 1;
      socket.on("framereceived", ({ payload }) => {
        const text = String(payload);
        board.frames.push({ text, ...(JSON.parse(text) as Omit<Frame, "text">) });
      });
    });
    board.page.on("request", (request) => {
      if (request.method() === "GET" && request.url().startsWith(`${backend.url}/api/tasks?`)) board.listLoads += 1;
    });
    await board.page.goto(boardUrl);
    await board.page.getByLabel("Access token (JWT)").fill(token);
    await board.page.getByRole("button", { name: "Sign in" }).click();
    return board;
  }

  /** The frames of one task on a board. */
  const framesOf = (board: BoardPage, taskId: number) => board.frames.filter((f) => f.data.task_id === taskId);

  /** Creates a task through the REST API; resolves its snapshot. */
  async function create(as: Api, title: string): Promise<TaskSnapshot> {
    const created = await as.request<TaskSnapshot>("POST", "/api/tasks", { title });
    expect(created.status).toBe(201);
    return created.body;
  }

  beforeAll(async () => {
    browser = cleanup.add(await launchChromium());
    await createTopics(prefix);
    reader = cleanup.add(await TopicReader.start(prefix));
    const store = cleanup.add(await testStore(KIND, "board"));
    const [gatewayPort, backendDapr] = [await freePort(), await freePort()];
    const origin = `http://127.0.0.1:${gatewayPort}`;
    backend = await startTestBackend({ ...store.env, DAPR_HTTP_PORT: String(backendDapr), CORS_ORIGINS: origin });
    cleanup.add({ stop: () => backend.close() });
    cleanup.add(await startBackendSidecar({ backendPort: backend.port, httpPort: backendDapr, topicPrefix: prefix }));
    gatewayEnv = { PORT: String(gatewayPort), BACKEND_PUBLIC_URL: backend.url, WS_ALLOWED_ORIGINS: origin };
    await startPod("first");
    boardUrl = `${origin}/`;

    api = await Api.as(backend.url, user);
    for (const title of ["Water the plants", `<img src=x onerror="document.title='injected'">`])
      await create(api, title);
    // Another user's task, which the board must never show.
    await create(await Api.as(backend.url, newUser("stranger")), "Not yours");

    watched = await browser.newPage({ timezoneId: "UTC", locale: "en-US", viewport: { width: 1024, height: 768 } });
    page = watched.page;
    cleanup.add({ stop: () => page.context().close() });
  });
  afterAll(() => cleanup.run(), 60_000);

  describe("signed in as one user", () => {
    it("signs in with a pasted token and lists the user's tasks, their text shown as text, under the gateway's CSP", async () => {
      const response = await page.goto(boardUrl);
      expect(response?.headers()).toMatchObject(boardHeaders(backend.url));
      await page.getByLabel("Access token (JWT)").fill(await tokenFor(user));
      await page.getByRole("button", { name: "Sign in" }).click();

      await expect
        .poll(() => listedTitles(page))
        .toEqual(["Water the plants", `<img src=x onerror="document.title='injected'">`]);
      expect(await page.locator("#user-id").textContent()).toBe(user);
      expect(await page.locator("#tasks img").count()).toBe(0);
      expect(await page.title()).toBe("Tasks");
      expect(await page.evaluate<number>("sessionStorage.length")).toBe(1);
    });

    it("connects to the gateway's live updates (which echoes task-updates.v1, else Chromium fails the socket)", async () => {
      const connection = page.locator("#connection");
      await expect.poll(() => connection.getAttribute("data-state")).toBe("live");
      expect(await connection.textContent()).toBe(LIVE);
      expect(await connection.getAttribute("aria-live")).toBe("polite");
      expect(await page.getByRole("button", { name: "Reconnect" }).isHidden()).toBe(true);
      await waitFor(() => pod.gateway.connections.count(user) === 1, "the board's socket on the gateway");
    });

    it("creates a task from the keyboard that the API holds as the user's", async () => {
      await page.getByLabel("Title", { exact: true }).fill("Buy oat milk");
      await page.getByLabel("Due (optional)", { exact: true }).fill("2030-05-01T09:30");
      await page.getByLabel("Title", { exact: true }).press("Enter");

      await expect.poll(() => listedTitles(page)).toContain("Buy oat milk");
      await expect.poll(() => page.locator("#message").textContent()).toBe("Added “Buy oat milk”.");
      expect(await itemOf(page, "Buy oat milk").locator("time").getAttribute("datetime")).toBe(
        "2030-05-01T09:30:00.000Z",
      );
      const listed = await api.request<TaskPage>("GET", "/api/tasks?q=oat");
      expect(listed.body.items).toEqual([
        expect.objectContaining({ title: "Buy oat milk", user_id: user, due_date: "2030-05-01T09:30:00.000Z" }),
      ]);
      // The form is cleared and the keyboard stays in it for the next task.
      expect(await page.getByLabel("Title", { exact: true }).inputValue()).toBe("");
      expect(await focusedElement(page)).toBe("title");
      await saveScreenshot(page, "board-desktop");
    });

    it("completes one task from the keyboard and deletes another, and the API agrees", async () => {
      await page.getByRole("button", { name: "Complete: Water the plants" }).press("Enter");
      await expect.poll(() => itemOf(page, "Water the plants").getAttribute("data-completed")).toBe("true");
      // The Complete button is gone; the keyboard stays in the same task.
      expect(await focusedElement(page)).toBe("Delete: Water the plants");
      await expect.poll(() => page.locator("#message").textContent()).toBe("Completed “Water the plants”.");
      const watered = (await api.request<TaskPage>("GET", "/api/tasks?q=Water")).body.items[0];
      expect(watered).toMatchObject({ title: "Water the plants", completed: true });

      await page.getByRole("button", { name: "Delete: Buy oat milk" }).click();
      await expect.poll(() => listedTitles(page)).not.toContain("Buy oat milk");
      expect((await api.request<TaskPage>("GET", "/api/tasks?q=oat")).body.total).toBe(0);
      expect((await api.request<TaskPage>("GET", "/api/tasks")).body.total).toBe(2);
    });

    it("shows the backend's message for an invalid title, naming the field, and writes nothing", async () => {
      const refused = await api.request<{ violations: { path: string; message: string }[] }>("POST", "/api/tasks", {
        title: "   ",
      });
      expect(refused.status).toBe(400);
      expect(refused.body.violations).toHaveLength(1);
      const violation = refused.body.violations[0];
      expect(violation?.path).toBe("/body/title");

      await page.getByLabel("Title", { exact: true }).fill("   ");
      await page.getByRole("button", { name: "Add task" }).click();
      await expect.poll(() => page.locator("#task-error").textContent()).toBe(`Title ${violation?.message}.`);
      expect(await page.getByLabel("Title", { exact: true }).getAttribute("aria-invalid")).toBe("true");
      expect(await page.locator("#task-error").getAttribute("role")).toBe("alert");
      expect((await api.request<TaskPage>("GET", "/api/tasks")).body.total).toBe(2);
    });

    it("fits a 360 px wide screen without horizontal scroll, a long unbroken title included", async () => {
      await create(api, "Supercalifragilistic".repeat(9));
      await page.setViewportSize({ width: 360, height: 740 });
      // A reload keeps the tab's session: the token is still in sessionStorage, and the list is read again.
      await page.reload();
      await expect.poll(() => listedTitles(page)).toContain("Supercalifragilistic".repeat(9));
      const widths = await page.evaluate<{ scroll: number; client: number }>(
        "({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })",
      );
      expect(widths.client).toBe(360);
      expect(widths.scroll).toBeLessThanOrEqual(widths.client);
      await expect.poll(() => page.locator("#connection").textContent()).toBe(LIVE);
      await saveScreenshot(page, "board-360px");
    });

    it("signs out: the token leaves the tab, the list goes, the socket closes, and a reload stays signed out", async () => {
      await page.getByRole("button", { name: "Sign out" }).click();
      expect(await page.evaluate<number>("sessionStorage.length")).toBe(0);
      expect(await page.locator("#connection").textContent()).toBe("Signed out");
      expect(await page.locator("#tasks .task").count()).toBe(0);
      expect(await page.locator("#board").isHidden()).toBe(true);
      expect(await focusedElement(page)).toBe("token");
      await waitFor(() => pod.gateway.connections.count(user) === 0, "the board's socket closed on the gateway");
      await page.reload();
      expect(await page.getByLabel("Access token (JWT)").isVisible()).toBe(true);
      expect(await page.locator("#board").isHidden()).toBe(true);
    });

    it("refuses what is not a JWT, and signs out when the backend refuses the token, with its message", async () => {
      const tokenField = page.getByLabel("Access token (JWT)");
      await tokenField.fill("not a token");
      await page.getByRole("button", { name: "Sign in" }).click();
      expect(await page.locator("#token-error").textContent()).toBe(
        "This is not a JWT: it must be three base64url parts joined by dots.",
      );
      expect(await tokenField.getAttribute("aria-invalid")).toBe("true");

      const forged = await tokenWith(
        user,
        { expiresAt: Math.floor(Date.now() / 1000) + 600 },
        "not-the-backends-secret-0123456789abcdef",
      );
      // Wrapped over lines, as a terminal may copy it.
      await tokenField.fill(forged.replace(/(.{60})/g, "$1\n"));
      await page.getByRole("button", { name: "Sign in" }).click();
      const refused = await new Api(backend.url, forged).request<{ message: string }>("GET", "/api/tasks");
      expect(refused.status).toBe(401);
      await expect
        .poll(() => page.locator("#connection").textContent())
        .toBe(`Signed out: the task service refused the token (${refused.body.message}).`);
      expect(await page.evaluate<number>("sessionStorage.length")).toBe(0);
      expect(await page.locator("#board").isHidden()).toBe(true);
    });

    it("raised no CSP violation, no page error and no console error but the failures caused on purpose", () => {
      const { cspViolations, pageErrors } = watched.problems;
      expect(cspViolations).toEqual([]);
      expect(pageErrors).toEqual([]);
      // The refused title; the forged token's 401 from the backend (the list) and the gateway (the upgrade).
      const invalidTitle = failedLoad("400 \\(Bad Request\\)");
      const expected = [
        invalidTitle,
        failedLoad("401 \\(Unauthorized\\)"),
        // How Chromium words a 401 at a WebSocket upgrade.
        failedSocket(boardUrl, "HTTP Authentication failed; no valid credentials available"),
      ];
      expect(unexpectedErrors(watched.problems, expected)).toEqual([]);
      expect(watched.problems.consoleErrors.filter((text) => invalidTitle.test(text))).toHaveLength(1);
    });
  });

  describe("live updates from the gateway", () => {
    const userA = newUser("live-a");
    const userB = newUser("live-b");
    let apiA: Api;
    let apiB: Api;
    let boardA: BoardPage;
    let boardB: BoardPage;

    beforeAll(async () => {
      [apiA, apiB] = [await Api.as(backend.url, userA), await Api.as(backend.url, userB)];
      await create(apiB, "B's own task");
      boardA = await openBoard(await tokenFor(userA));
      boardB = await openBoard(await tokenFor(userB));
      await waitFor(() => connectionOf(boardA) === LIVE && connectionOf(boardB) === LIVE, "both boards live");
    });

    it("shows a task created through the REST API as A on A's board, from the gateway's frame, and never on B's", async () => {
      await expect.poll(() => listedTitles(boardA.page)).toEqual([]);
      const loads = boardA.listLoads;
      const plumber = await create(apiA, "Call the plumber");

      await expect.poll(() => listedTitles(boardA.page)).toEqual(["Call the plumber"]);
      expect(framesOf(boardA, plumber.task_id).map((f) => f.data)).toEqual([
        expect.objectContaining({ user_id: userA, action: "add", task_id: plumber.task_id }),
      ]);
      // The list was not read again: the task came with the frame.
      expect(boardA.listLoads).toBe(loads);

      // Had the gateway sent A's update to B's socket, it would have written it there before B's own next update
      // (A's board showed it before B's task existed), and one socket delivers in order.
      await create(apiB, "B's second task");
      await expect.poll(() => listedTitles(boardB.page)).toEqual(["B's own task", "B's second task"]);
      expect(boardB.frames.map((f) => f.data.user_id)).toEqual([userB]);
    });

    it("completes A's task on the board: the API holds it completed, and the board shows it", async () => {
      const plumber = (await apiA.request<TaskPage>("GET", "/api/tasks?q=plumber")).body.items[0] as TaskSnapshot;
      await boardA.page.getByRole("button", { name: "Complete: Call the plumber" }).click();
      await expect.poll(() => itemOf(boardA.page, "Call the plumber").getAttribute("data-completed")).toBe("true");
      expect(await itemOf(boardA.page, "Call the plumber").locator(".task-done").isVisible()).toBe(true);
      const held = await apiA.request<TaskSnapshot>("GET", `/api/tasks/${plumber.task_id}`);
      expect(held.body).toMatchObject({ title: "Call the plumber", completed: true });
      // The completion's own updates (status and list views) come back as frames too, and change nothing more.
      await waitFor(() => framesOf(boardA, plumber.task_id).length === 3, "the completion's two frames");
      expect(framesOf(boardA, plumber.task_id).map((f) => f.data.action)).toEqual(["add", "update", "update"]);
      expect(await itemOf(boardA.page, "Call the plumber").getAttribute("data-completed")).toBe("true");
    });

    it("applies each event once: the same CloudEvent delivered twice more to the gateway reaches the board, which drops it by id", async () => {
      const duplicated = await create(apiA, "Delivered again");
      await expect.poll(() => listedTitles(boardA.page)).toContain("Delivered again");
      const [added] = framesOf(boardA, duplicated.task_id);
      expect(added?.data.action).toBe("add");
      expect((await apiA.request("DELETE", `/api/tasks/${duplicated.task_id}`)).status).toBe(204);
      await expect.poll(() => listedTitles(boardA.page)).not.toContain("Delivered again");

      // As a sidecar redelivers (at least once): the add, as it was delivered, twice to the subscription route.
      for (let copy = 0; copy < 2; copy += 1) {
        expect(await deliver(pod.gateway, added?.text ?? "")).toEqual({ status: 200, body: { status: "SUCCESS" } });
      }
      await waitFor(
        () => boardA.frames.filter((f) => f.id === added?.id).length === 3,
        "the add's two further frames in the browser",
      );
      // Frames are applied in order: once a later one shows, the copies were read, and dropped.
      await create(apiA, "After the copies");
      await expect.poll(() => listedTitles(boardA.page)).toEqual(["Call the plumber", "After the copies"]);
    });

    it("shows 1001 when the gateway stops, comes back live by itself on the restarted gateway, and reloads the list with what changed meanwhile", async () => {
      const [fromA, fromB] = [boardA.states.length, boardB.states.length];
      await pod.stop();
      await waitFor(() => boardA.states[fromA] === GOING_AWAY, "A's board showing 1001");
      await waitFor(() => boardB.states[fromB] === GOING_AWAY, "B's board showing 1001");

      // A task created while no gateway runs: its update is on the topic before the new pod's consumer group, which
      // starts at the newest record, exists, so no frame will carry it: only the list reload can show it.
      const meanwhile = await create(apiA, "Created while the gateway was down");
      await waitFor(
        () =>
          reader
            .of(userA)
            .some(
              (r) =>
                r.topic === TOPICS.taskUpdates.name &&
                (r.event.data as { task_id?: number }).task_id === meanwhile.task_id,
            ),
        "the update of the task created meanwhile on task-updates",
      );
      const loads = boardA.listLoads;
      // The restarted gateway allows one socket per user, for the 4029 test below.
      await startPod("second", { WS_MAX_SOCKETS_PER_USER: "1" });

      await waitFor(() => connectionOf(boardA) === LIVE && connectionOf(boardB) === LIVE, "both boards live again");
      await expect
        .poll(() => listedTitles(boardA.page))
        .toEqual(["Call the plumber", "After the copies", "Created while the gateway was down"]);
      expect(boardA.listLoads).toBeGreaterThan(loads);
      expect(framesOf(boardA, meanwhile.task_id)).toEqual([]);
      // Between the 1001 and live again, only failed retries.
      for (const states of [boardA.states.slice(fromA), boardB.states.slice(fromB)]) {
        expect(states.slice(1, -1).every((text) => text.startsWith("Reconnecting: "))).toBe(true);
      }

      // Live on the new gateway: the next update arrives as a frame again.
      const after = await create(apiA, "After the restart");
      await expect.poll(() => listedTitles(boardA.page)).toContain("After the restart");
      expect(framesOf(boardA, after.task_id)).toHaveLength(1);
      // B's board, reloaded too, still holds only B's tasks, and every frame it got was B's.
      expect(await listedTitles(boardB.page)).toEqual(["B's own task", "B's second task"]);
      expect(boardB.frames.every((f) => f.data.user_id === userB)).toBe(true);
      await saveScreenshot(boardA.page, "board-user-a");
      await saveScreenshot(boardB.page, "board-user-b");
    });

    it("counts the user's tasks as live frames remove and add them, after a list read from the API", async () => {
      const count = () => boardA.page.locator("#task-count").textContent();
      // The list read at the reconnect counted 3; one task has come by frame since.
      await expect.poll(count).toBe("(4)");
      // Two deletions through the API, seen only as frames: the count follows them (it once kept the total read with
      // the list and showed "(2 of 3)").
      const gone: number[] = [];
      for (const q of ["gateway%20was%20down", "restart"]) {
        gone.push(...(await apiA.request<TaskPage>("GET", `/api/tasks?q=${q}`)).body.items.map((task) => task.task_id));
      }
      expect(gone).toHaveLength(2);
      for (const taskId of gone) expect((await apiA.request("DELETE", `/api/tasks/${taskId}`)).status).toBe(204);
      await expect.poll(() => listedTitles(boardA.page)).toEqual(["Call the plumber", "After the copies"]);
      expect(await count()).toBe("(2)");
      await create(apiA, "Counted live");
      await expect.poll(count).toBe("(3)");
    });

    it("shows 4029 on a second board of A when the gateway allows one socket per user, and does not retry; the first stays live", async () => {
      const second = await openBoard(await tokenFor(userA));
      await waitFor(() => connectionOf(second) === TOO_MANY, "the second board showing 4029");
      expect(await second.page.getByRole("button", { name: "Reconnect" }).isVisible()).toBe(true);
      // Longer than the first backoff delay (at most 1 s): no second attempt.
      await second.page.waitForTimeout(2_000);
      expect(second.sockets).toBe(1);
      expect(connectionOf(second)).toBe(TOO_MANY);
      expect(pod.gateway.connections.count(userA)).toBe(1);
      expect(connectionOf(boardA)).toBe(LIVE);
      const next = await create(apiA, "Seen on the first board");
      await expect.poll(() => listedTitles(boardA.page)).toContain("Seen on the first board");
      expect(framesOf(boardA, next.task_id)).toHaveLength(1);
      expect(second.problems).toEqual({ consoleErrors: [], pageErrors: [], cspViolations: [] });
      await second.page.context().close();
    });

    it("signs out with 4001 when the gateway closes the socket at a short-lived token's expiry", async () => {
      const userC = newUser("short-lived");
      const expiresAt = Math.floor(Date.now() / 1000) + 4;
      // The page's clock runs a minute behind, as a client's clock may: the board's own timer, which signs out at
      // `exp` too, would otherwise end the session at the same instant, before the gateway's close arrives.
      const board = await openBoard(await tokenWith(userC, { expiresAt }), -60_000);
      await waitFor(() => connectionOf(board) === LIVE, "C's board live");
      await waitFor(() => connectionOf(board) === EXPIRED, "C's board signed out by 4001", 10_000);
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt * 1000);
      expect(await board.page.evaluate<number>("sessionStorage.length")).toBe(0);
      expect(await board.page.getByLabel("Access token (JWT)").isVisible()).toBe(true);
      expect(board.problems).toEqual({ consoleErrors: [], pageErrors: [], cspViolations: [] });
    });

    it("raised no CSP violation, no page error and no console error on A's and B's boards but the refused reconnects", () => {
      // A retry while no gateway listened (the restart), as Chromium reports it.
      const refusedSockets = failedSocket(boardUrl, "Error in connection establishment: net::ERR_CONNECTION_REFUSED");
      for (const board of [boardA, boardB]) {
        expect(board.problems.cspViolations).toEqual([]);
        expect(board.problems.pageErrors).toEqual([]);
        expect(unexpectedErrors(board.problems, [refusedSockets])).toEqual([]);
      }
    });
  });
});
