// The task board: sign in with a JWT, the user's tasks over the backend's REST API, kept current by the gateway's WebSocket (subprotocol task-updates.v1). A plain ES module: no framework, no build step, and every text from data set with textContent.

const TOKEN_KEY = "task-board.token";
const SUBPROTOCOL = "task-updates.v1";
/** The backend's largest page (GET /api/tasks `limit`), and how many tasks the board loads at most. */
const PAGE_SIZE = 100;
const MAX_TASKS = 500;
/**
 * Reconnect delays double from the first to the cap; each loses up to half at random, so that the boards a
 * restarting gateway dropped do not all come back in the same instant.
 */
const BACKOFF_FIRST_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
/** How many applied event ids the board remembers, to drop a frame that arrives twice. */
const REMEMBERED_EVENTS = 2_000;

/** What the gateway's close codes mean to the user (its README); any other code reads as a lost connection. */
const CLOSE_REASONS = new Map([
  [1001, "the gateway is restarting"],
  [1006, "could not connect to live updates"],
  [1011, "the gateway had an error"],
  [4001, "your session expired"],
  [4008, "updates came faster than this connection could take them"],
  [4029, "too many boards are open for your account; close one, then reconnect"],
]);

const byId = (id) => document.getElementById(id);
const view = {
  connection: byId("connection"),
  signIn: byId("sign-in"),
  signInForm: byId("sign-in-form"),
  token: byId("token"),
  tokenError: byId("token-error"),
  board: byId("board"),
  userId: byId("user-id"),
  reconnect: byId("reconnect"),
  signOut: byId("sign-out"),
  newTask: byId("new-task"),
  title: byId("title"),
  dueDate: byId("due-date"),
  taskError: byId("task-error"),
  heading: byId("tasks-heading"),
  count: byId("task-count"),
  empty: byId("empty"),
  list: byId("tasks"),
  message: byId("message"),
  template: byId("task-template"),
};

const state = {
  /** `{ backendUrl, wsPath }` from board/config.json. */
  config: undefined,
  token: undefined,
  /** Counts sign-ins and sign-outs: an answer to a request of an earlier session is dropped. */
  session: 0,
  expiryTimer: undefined,
  /** The tasks by task_id, and the list item showing each. */
  tasks: new Map(),
  items: new Map(),
  /** How many tasks the backend has for the user (a list shows at most MAX_TASKS). */
  total: 0,
  /** Task ids with a request in flight: a second click waits for the first answer. */
  busy: new Set(),
  socket: undefined,
  attempt: 0,
  retryTimer: undefined,
  /** Ids of applied events, oldest first. */
  applied: new Set(),
  /** The list load in progress, another one asked for meanwhile, and the frames that wait for it. */
  loading: undefined,
  loadAgain: false,
  pending: [],
};

/** An answer of the backend other than 2xx: its status, its message and, for a 400, the fields it names. */
class ApiError extends Error {
  constructor(status, message, violations = []) {
    super(message);
    this.status = status;
    this.violations = violations;
  }
}

/** The answer to a request sent before the user signed out: nobody waits for it any more. */
class StaleAnswer extends Error {}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

async function loadConfig() {
  const response = await fetch("board/config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`board/config.json answered ${response.status}`);
  const config = await response.json();
  if (typeof config?.backendUrl !== "string" || typeof config?.wsPath !== "string") {
    throw new Error("board/config.json lacks backendUrl or wsPath");
  }
  return { backendUrl: config.backendUrl.replace(/\/+$/, ""), wsPath: config.wsPath };
}

/** The claims of a JWT (its middle part, base64url JSON), or undefined when `token` is not a JWT. */
function tokenClaims(token) {
  const parts = token.split(".");
  if (parts.length !== 3 || !parts.every((part) => /^[A-Za-z0-9_-]+$/.test(part))) return undefined;
  try {
    const base64 = parts[1].replaceAll("-", "+").replaceAll("_", "/");
    const bytes = Uint8Array.from(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "=")), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return typeof claims === "object" && claims !== null ? claims : undefined;
  } catch {
    return undefined;
  }
}

/** Signs in with `token`; returns what is wrong with it instead when it cannot be one. */
function signIn(token) {
  const claims = tokenClaims(token);
  if (!claims) return "This is not a JWT: it must be three base64url parts joined by dots.";
  const expiresAt = typeof claims.exp === "number" ? claims.exp * 1000 : undefined;
  if (expiresAt !== undefined && expiresAt <= Date.now()) {
    return `This token expired on ${timeFormat.format(expiresAt)}. Get a new one.`;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  state.token = token;
  state.session += 1;
  if (expiresAt !== undefined) {
    // setTimeout holds at most 2^31 - 1 ms (about 24 days); a longer-lived token ends at the backend's 401.
    const delay = Math.min(expiresAt - Date.now(), 2 ** 31 - 1);
    state.expiryTimer = setTimeout(() => signOut("your session expired; sign in again with a new token"), delay);
  }
  view.userId.textContent = typeof claims.sub === "string" ? claims.sub : "(a token without a user id)";
  view.signIn.hidden = true;
  view.board.hidden = false;
  reload();
  connect();
  return undefined;
}

function signOut(reason) {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = undefined;
  state.session += 1;
  clearTimeout(state.expiryTimer);
  disconnect();
  Object.assign(state, { loading: undefined, loadAgain: false, pending: [], total: 0, attempt: 0 });
  state.tasks.clear();
  state.busy.clear();
  state.applied.clear();
  render();
  clearTaskError();
  announce("");
  view.board.hidden = true;
  view.signIn.hidden = false;
  view.token.value = "";
  showConnection("signed-out", reason ? `Signed out: ${reason.replace(/\.$/, "")}.` : "Signed out");
  view.token.focus();
}

/**
 * Calls the backend's task API as the signed-in user: `path` under /api/tasks, a JSON body. Resolves with the
 * answer's JSON (undefined for 204); throws an ApiError for any other answer, and a StaleAnswer when the user
 * signed out meanwhile or a 401 signed them out (the sign-out says why).
 */
async function api(method, path, body) {
  const session = state.session;
  const headers = { authorization: `Bearer ${state.token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  let response;
  try {
    response = await fetch(`${state.config.backendUrl}/api/tasks${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, `The task service at ${state.config.backendUrl} cannot be reached.`);
  }
  const answer = response.status === 204 ? undefined : await response.json().catch(() => undefined);
  if (session !== state.session) throw new StaleAnswer();
  if (response.ok) return answer;
  const message =
    typeof answer?.message === "string" ? answer.message : `The task service answered ${response.status}.`;
  if (response.status === 401) {
    signOut(`the task service refused the token (${message})`);
    throw new StaleAnswer();
  }
  throw new ApiError(response.status, message, Array.isArray(answer?.violations) ? answer.violations : []);
}

async function loadTasks() {
  const tasks = new Map();
  let total = 0;
  for (let offset = 0; offset < MAX_TASKS; offset += PAGE_SIZE) {
    const page = await api("GET", `?sort=created_at&limit=${PAGE_SIZE}&offset=${offset}`);
    for (const task of page.items) tasks.set(task.task_id, task);
    total = page.total;
    if (page.items.length < PAGE_SIZE) break;
  }
  state.tasks = tasks;
  state.total = total;
  render();
}

/**
 * Loads the list again (once more if asked again meanwhile: the first load may have read before the change that
 * asked); the frames that arrive meanwhile wait and are applied on top of the new list.
 */
function reload() {
  if (state.loading) {
    state.loadAgain = true;
    return;
  }
  const loading = (async () => {
    do {
      state.loadAgain = false;
      await loadTasks();
    } while (state.loadAgain);
  })()
    .catch(showError)
    .finally(() => {
      if (state.loading !== loading) return;
      state.loading = undefined;
      for (const frame of state.pending.splice(0)) applyFrame(frame);
    });
  state.loading = loading;
}

function connect() {
  clearTimeout(state.retryTimer);
  const url = new URL(state.config.wsPath, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  let socket;
  try {
    // The token rides as a second subprotocol: browsers cannot set headers on a WebSocket, and a query string ends up in logs.
    socket = new WebSocket(url, [SUBPROTOCOL, `bearer.${state.token}`]);
  } catch (error) {
    showConnection("stopped", `Live updates off: ${error.message}`);
    return;
  }
  state.socket = socket;
  if (state.attempt === 0) showConnection("connecting", "Connecting to live updates…");
  socket.addEventListener("open", () => {
    if (socket !== state.socket) return;
    state.attempt = 0;
    showConnection("live", "Live");
    // Whatever changed while the board was not connected is in the list, not in frames.
    reload();
  });
  socket.addEventListener("message", (event) => {
    if (socket === state.socket && typeof event.data === "string") receive(event.data);
  });
  socket.addEventListener("close", (event) => {
    if (socket !== state.socket) return;
    state.socket = undefined;
    closed(event.code);
  });
}

function disconnect() {
  clearTimeout(state.retryTimer);
  const socket = state.socket;
  state.socket = undefined;
  // Closing a socket that is still connecting makes the browser log an error; it closes once open instead.
  if (socket?.readyState === WebSocket.CONNECTING)
    socket.addEventListener("open", () => socket.close(1000, "signed out"));
  else socket?.close(1000, "signed out");
}

/** Reacts to a close: reconnect with backoff, except after 4001 (sign in again) and 4029 (the user decides). */
function closed(code) {
  const reason = `${CLOSE_REASONS.get(code) ?? "the connection was lost"} (${code})`;
  if (code === 4001) {
    signOut(`${reason}; sign in again`);
    return;
  }
  if (code === 4029) {
    showConnection("stopped", `Live updates stopped: ${reason}.`);
    return;
  }
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** state.attempt);
  state.attempt += 1;
  showConnection("reconnecting", `Reconnecting: ${reason}.`);
  state.retryTimer = setTimeout(connect, ceiling / 2 + (Math.random() * ceiling) / 2);
}

function receive(text) {
  let frame;
  try {
    frame = JSON.parse(text);
  } catch {
    return;
  }
  if (typeof frame?.id !== "string" || typeof frame.data !== "object" || frame.data === null) return;
  if (state.loading) state.pending.push(frame);
  else applyFrame(frame);
}

/** Applies a task-updates event once: the snapshot added or replaced, the task removed, or the list reloaded. */
function applyFrame(frame) {
  if (state.applied.has(frame.id)) return;
  state.applied.add(frame.id);
  if (state.applied.size > REMEMBERED_EVENTS) state.applied.delete(state.applied.values().next().value);
  const { action, task_id: taskId, task_snapshot: snapshot } = frame.data;
  if (action === "refresh") {
    reload();
    return;
  }
  if (action === "remove") forget(taskId);
  else if (action === "add" || action === "update") keep(snapshot);
  render();
}

/** Keeps a task's snapshot unless the board already has a newer one (a frame sent before the list was read). */
function keep(task) {
  if (typeof task?.task_id !== "number") return;
  const known = state.tasks.get(task.task_id);
  if (known && Date.parse(known.updated_at) > Date.parse(task.updated_at)) return;
  if (!known) state.total += 1;
  state.tasks.set(task.task_id, task);
}

/** Removes a task from the list, and from the count of the user's tasks (the "n of total" shown). */
function forget(taskId) {
  if (state.tasks.delete(taskId)) state.total = Math.max(0, state.total - 1);
}

/** Brings the list in line with the tasks, moving no item that stays in place (a moved item would lose focus). */
function render() {
  const tasks = [...state.tasks.values()].sort((a, b) => a.task_id - b.task_id);
  for (const [id, item] of state.items) {
    if (!state.tasks.has(id)) {
      item.remove();
      state.items.delete(id);
    }
  }
  let previous;
  for (const task of tasks) {
    let item = state.items.get(task.task_id);
    if (!item) {
      item = newItem(task.task_id);
      state.items.set(task.task_id, item);
    }
    fill(item, task);
    const expected = previous ? previous.nextElementSibling : view.list.firstElementChild;
    if (item !== expected) view.list.insertBefore(item, expected);
    previous = item;
  }
  view.empty.hidden = tasks.length > 0;
  view.count.textContent = state.total > tasks.length ? `(${tasks.length} of ${state.total})` : `(${tasks.length})`;
}

function newItem(taskId) {
  const item = view.template.content.firstElementChild.cloneNode(true);
  item.dataset.taskId = String(taskId);
  item.querySelector(".complete").addEventListener("click", () => completeTask(taskId));
  item.querySelector(".delete").addEventListener("click", () => deleteTask(taskId));
  return item;
}

function fill(item, task) {
  item.dataset.completed = String(task.completed === true);
  item.querySelector(".task-title").textContent = task.title;
  const due = item.querySelector(".task-due");
  due.hidden = !task.due_date;
  due.dateTime = task.due_date ?? "";
  due.textContent = task.due_date ? `Due ${timeFormat.format(Date.parse(task.due_date))}` : "";
  item.querySelector(".complete").setAttribute("aria-label", `Complete: ${task.title}`);
  item.querySelector(".delete").setAttribute("aria-label", `Delete: ${task.title}`);
}

async function createTask(event) {
  event.preventDefault();
  clearTaskError();
  const body = { title: view.title.value };
  if (view.dueDate.value) {
    // datetime-local is the user's wall clock; the API takes an instant with its offset.
    const due = new Date(view.dueDate.value);
    if (Number.isNaN(due.getTime())) {
      showTaskError(new ApiError(400, "Due date is not a date."));
      return;
    }
    body.due_date = due.toISOString();
  }
  try {
    const task = await api("POST", "", body);
    keep(task);
    render();
    view.newTask.reset();
    announce(`Added “${task.title}”.`);
    view.title.focus();
  } catch (error) {
    showTaskError(error);
  }
}

/** Runs one request about a task at a time; a 404 means it is gone (deleted elsewhere), so it leaves the list. */
async function withTask(taskId, work) {
  if (state.busy.has(taskId)) return;
  state.busy.add(taskId);
  try {
    await work();
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      forget(taskId);
      render();
    }
    showError(error);
  } finally {
    state.busy.delete(taskId);
  }
}

function completeTask(taskId) {
  return withTask(taskId, async () => {
    const item = state.items.get(taskId);
    const focused = item?.contains(document.activeElement);
    const task = await api("POST", `/${taskId}/complete`);
    keep(task);
    render();
    announce(`Completed “${task.title}”.`);
    // The Complete button is gone; keep the keyboard in the same task.
    if (focused) item.querySelector(".delete").focus();
  });
}

function deleteTask(taskId) {
  return withTask(taskId, async () => {
    const item = state.items.get(taskId);
    const title = state.tasks.get(taskId)?.title ?? `Task ${taskId}`;
    const focused = item?.contains(document.activeElement);
    await api("DELETE", `/${taskId}`);
    const neighbour = item?.nextElementSibling ?? item?.previousElementSibling;
    forget(taskId);
    render();
    announce(`Deleted “${title}”.`);
    if (focused) (neighbour?.querySelector(".delete") ?? view.heading).focus();
  });
}

/** "Due date" for "/body/due_date": the field a violation names, as the form labels it. */
function fieldName(path) {
  const name = path.split("/").pop() || "request";
  const words = name.replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The backend's message; for invalid input each field it names with what is wrong with it. */
function describe(error) {
  if (error instanceof ApiError && error.violations.length > 0) {
    return error.violations.map((v) => `${fieldName(String(v.path))} ${v.message}.`).join(" ");
  }
  return error instanceof Error ? error.message : String(error);
}

function showError(error) {
  if (error instanceof StaleAnswer) return;
  announce(describe(error), "error");
}

function showTaskError(error) {
  if (error instanceof StaleAnswer) return;
  view.taskError.textContent = describe(error);
  const named = (error.violations ?? []).map((v) => String(v.path).split("/").pop());
  const invalid = [
    [view.title, "title"],
    [view.dueDate, "due_date"],
  ].filter(([input, field]) => {
    input.setAttribute("aria-invalid", String(named.includes(field)));
    return named.includes(field);
  });
  (invalid[0]?.[0] ?? view.title).focus();
}

function clearTaskError() {
  view.taskError.textContent = "";
  view.title.removeAttribute("aria-invalid");
  view.dueDate.removeAttribute("aria-invalid");
}

function announce(text, kind = "info") {
  view.message.textContent = text;
  view.message.dataset.kind = kind;
}

function showConnection(name, text) {
  view.connection.dataset.state = name;
  // Rewriting the same text would make screen readers say it again.
  if (view.connection.textContent !== text) view.connection.textContent = text;
  view.reconnect.hidden = name !== "reconnecting" && name !== "stopped";
}

async function start() {
  view.signInForm.addEventListener("submit", (event) => {
    event.preventDefault();
    // A token copied from a terminal may come wrapped over lines; a JWT holds no white space.
    const problem = state.config
      ? signIn(view.token.value.replace(/\s+/g, ""))
      : "The board is still starting; try again.";
    view.tokenError.textContent = problem ?? "";
    view.token.setAttribute("aria-invalid", String(problem !== undefined));
    if (problem === undefined) view.title.focus();
  });
  view.newTask.addEventListener("submit", createTask);
  view.signOut.addEventListener("click", () => signOut());
  view.reconnect.addEventListener("click", () => {
    state.attempt = 0;
    if (!state.socket) connect();
  });
  try {
    state.config = await loadConfig();
  } catch (error) {
    showConnection("stopped", `The board cannot start: ${error.message}.`);
    return;
  }
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) {
    const problem = signIn(saved);
    if (problem) signOut(problem);
  }
}

start();
