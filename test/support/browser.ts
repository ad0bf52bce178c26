// A real browser for the tests: Debian's Chromium driven by playwright-core, with pages that record console errors, uncaught exceptions and Content-Security-Policy violations.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { type Browser, type BrowserContextOptions, chromium, type Page } from "playwright-core";

/** Where Debian's `chromium` package puts the browser; `CHROMIUM_PATH` names another. */
export const DEFAULT_CHROMIUM_PATH = "/usr/bin/chromium";

/** Test artifacts (screenshots) go here, at the repository root; the folder is git-ignored. */
export const ARTIFACTS_DIR = path.resolve(__dirname, "../../test-results");

/**
 * The switches this machine needs (/work/.library/env/machines/polyglot.md): no sandbox (the tests run as root,
 * where Chromium's sandbox refuses to start), no GPU, and none of the background connections (QUIC, sync,
 * component updates, first-run and field-trial fetches) that the closed network refuses, many at a time.
 * Playwright adds `--headless` and a new empty `--user-data-dir` of its own to every `launch`.
 */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** How long a page action or wait may take, in ms. */
const PAGE_TIMEOUT_MS = 10_000;

/** A `securitypolicyviolation` event as the page saw it (the CSP Level 3 SecurityPolicyViolationEvent fields). */
export interface CspViolation {
  effectiveDirective: string;
  blockedURI: string;
  sourceFile: string;
  lineNumber: number;
}

/** What went wrong on a page while a test drove it. */
export interface PageProblems {
  /**
   * Console messages of level error: the page's own `console.error`, and the browser's reports (a failed load, a
   * refused WebSocket handshake, a CSP refusal), which Chromium logs at that level too.
   */
  consoleErrors: string[];
  /** Exceptions no page script caught. */
  pageErrors: string[];
  cspViolations: CspViolation[];
}

/** A page and what went wrong on it so far (the lists grow as the page runs). */
export interface WatchedPage {
  page: Page;
  problems: PageProblems;
}

export interface TestBrowser {
  /** A new page in a context of its own (its own storage), watched for problems from its first script on. */
  newPage(options?: BrowserContextOptions): Promise<WatchedPage>;
  /** Closes the browser and every page; for `Cleanup`. */
  stop(): Promise<void>;
}

// Runs in the page before its own scripts (Playwright's init scripts are not subject to the page's CSP).
const WATCH_CSP = `document.addEventListener("securitypolicyviolation", (event) => {
  window.__reportCspViolation({
    effectiveDirective: event.effectiveDirective,
    blockedURI: event.blockedURI,
    sourceFile: event.sourceFile,
    lineNumber: event.lineNumber,
  });
});`;

/**
 * Launches headless Chromium: `CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`, with the switches above. Throws
 * an error naming the package to install when there is no browser at that path.
 */
export async function launchChromium(): Promise<TestBrowser> {
  const executablePath = process.env.CHROMIUM_PATH || DEFAULT_CHROMIUM_PATH;
  if (!existsSync(executablePath)) {
    throw new Error(
      `No Chromium at ${executablePath}: install Debian's package (apt-get install -y --no-install-recommends chromium; .ci/run does) or set CHROMIUM_PATH to a Chromium binary`,
    );
  }
  const browser: Browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  return {
    async newPage(options = {}) {
      const context = await browser.newContext(options);
      const problems: PageProblems = { consoleErrors: [], pageErrors: [], cspViolations: [] };
      await context.exposeFunction("__reportCspViolation", (violation: CspViolation) => {
        problems.cspViolations.push(violation);
      });
      await context.addInitScript(WATCH_CSP);
      const page = await context.newPage();
      // Within a test's own timeout: a missing element fails the test with Playwright's call log, not vitest's timeout.
      page.setDefaultTimeout(PAGE_TIMEOUT_MS);
      page.on("console", (message) => {
        if (message.type() === "error") problems.consoleErrors.push(message.text());
      });
      page.on("pageerror", (error) => problems.pageErrors.push(error.message));
      return { page, problems };
    },
    stop: () => browser.close(),
  };
}

/** Saves a full-page screenshot as `test-results/<name>.png` and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
