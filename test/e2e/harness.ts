// Drives the built renderer (out/renderer) in Debian's Chromium with window.api bridged to the REAL core handler
// map in this process: real SQLite in a temp data dir, real engine, real importers/exporters. Nothing is faked.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { API_EVENTS, type ApiHandlers, type Channel } from '@main/api/contract';
import { createCore, type Core } from '@main/api/core';
import { createHandlers } from '@main/api/handlers';
import { BlindEventFilter, watchSettings } from '@main/api/blind-review';
import { toErrorShape } from '@main/ipc/ipc-envelope';
import { SAMPLE_SET_DIR } from '../helpers/shared-dir';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const RENDERER_DIR = path.join(REPO_ROOT, 'out/renderer');
export const SAMPLE_DIR = SAMPLE_SET_DIR;
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-results/screenshots');
export const CHROMIUM_PATH = process.env.GUARDTRACE_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or null when they can. */
export function browserUnavailableReason(): string | null {
  if (!existsSync(CHROMIUM_PATH))
    return `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set GUARDTRACE_CHROMIUM)`;
  if (!existsSync(path.join(RENDERER_DIR, 'index.html')))
    return `renderer not built at ${RENDERER_DIR} (the e2e globalSetup builds it)`;
  return null;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

function startStaticServer(core: Core): Promise<Server> {
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const image = /^\/images\/(.+)$/.exec(url.pathname);
      if (image) {
        // Same rule as the app's gt-image protocol: a hash, never a path.
        if (!/^[0-9a-f]{64}$/.test(image[1])) {
          res.writeHead(400).end('bad hash');
          return;
        }
        const found = await core.readImage(image[1]);
        if (!found) {
          res.writeHead(404).end('no such image');
          return;
        }
        res.writeHead(200, { 'content-type': found.mime, 'cache-control': 'private, max-age=3600' }).end(found.bytes);
        return;
      }
      const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
      const file = path.resolve(RENDERER_DIR, rel);
      if (!file.startsWith(RENDERER_DIR + path.sep) || !existsSync(file)) {
        res.writeHead(404).end('not found');
        return;
      }
      res
        .writeHead(200, { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream' })
        .end(readFileSync(file));
    })().catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Runs in the page before the app's own scripts: a window.api with the same shape as the Electron preload's. */
function bridgeScript() {
  type Envelope = { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } };
  const w = window as unknown as {
    __gtInvoke(channel: string, arg: unknown): Promise<Envelope>;
    __gtPickFile(options: unknown): Promise<string | null>;
    __gtEmit(event: string, payload: unknown): void;
    api: unknown;
  };
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  w.__gtEmit = (event, payload) => {
    for (const l of listeners.get(event) ?? []) l(payload);
  };
  w.api = {
    async invoke(channel: string, arg: unknown) {
      const result = await w.__gtInvoke(channel, arg === undefined ? null : arg);
      if (result.ok) return result.value;
      throw Object.assign(new Error(result.error.message), { code: result.error.code });
    },
    on(event: string, listener: (payload: unknown) => void) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
    imageUrl(sha256: string) {
      if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`Image hash "${sha256}" is not 64 hex characters.`);
      return `/images/${sha256}`;
    },
    pickFile(options: unknown) {
      return w.__gtPickFile(options);
    },
    // Electron's webUtils.getPathForFile knows where a dropped file lives; a web page cannot, so the test names
    // the paths of the files it drops (window.__gtDroppedPaths, by file name).
    pathForFile(file: File) {
      return (window as unknown as { __gtDroppedPaths?: Record<string, string> }).__gtDroppedPaths?.[file.name] ?? null;
    },
    platform: 'browser-test',
  };
}

export interface Harness {
  core: Core;
  handlers: ApiHandlers;
  page: Page;
  browser: Browser;
  baseUrl: string;
  dataDir: string;
  /** Answers for the next native file dialogs, in order (null = the user cancelled). */
  fileDialogAnswers: Array<string | null>;
  /** Console errors and CSP violations seen in the page. */
  pageErrors: string[];
  /** With `recordIpc`: every answer and event that crossed into the page, in order (what a DevTools look would see). */
  ipcTraffic: Array<{ kind: 'answer' | 'event'; name: string; payload: unknown }>;
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** An existing data dir (e.g. a prepared 100k-case store); a fresh temp dir otherwise. */
  dataDir?: string;
  viewport?: { width: number; height: number };
  colorScheme?: 'dark' | 'light';
  /** Keep a copy of every answer and event sent to the page (Harness.ipcTraffic). */
  recordIpc?: boolean;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const ownsDataDir = !options.dataDir;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'guardtrace-e2e-'));
  const core = await createCore({ dataDir, engine: { threads: 2, gpu: false } });
  // The same event rule as the app's forwarder, from a cached copy of the settings that settings.set keeps current.
  const blindFilter = new BlindEventFilter(core.settings);
  await blindFilter.refresh();
  const handlers = watchSettings(createHandlers(core), blindFilter);
  const server = await startStaticServer(core);
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1440, height: 900 },
    colorScheme: options.colorScheme ?? 'dark',
  });
  // The page may only talk to our static server: any other request would be remote content.
  await context.route('**/*', (route) =>
    route.request().url().startsWith(baseUrl) ? route.continue() : route.abort(),
  );
  const page = await context.newPage();
  const fileDialogAnswers: Array<string | null> = [];
  const pageErrors: string[] = [];
  const ipcTraffic: Harness['ipcTraffic'] = [];
  const record = (kind: 'answer' | 'event', name: string, payload: unknown) => {
    if (options.recordIpc) ipcTraffic.push({ kind, name, payload });
  };
  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() === 'error') pageErrors.push(msg.text());
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));

  await page.exposeBinding('__gtInvoke', async (_source, channel: Channel, arg: unknown) => {
    try {
      const handler = handlers[channel] as (a: unknown) => Promise<unknown>;
      if (!handler) throw Object.assign(new Error(`Unknown API channel "${channel}".`), { code: 'unknown_channel' });
      const value = await handler(arg === null ? undefined : arg);
      record('answer', channel, value);
      return { ok: true, value };
    } catch (error) {
      return { ok: false, error: toErrorShape(error) };
    }
  });
  await page.exposeBinding('__gtPickFile', async () =>
    fileDialogAnswers.length > 0 ? fileDialogAnswers.shift()! : null,
  );
  await page.addInitScript(bridgeScript);

  // Electron's IPC keeps events in order; separate page.evaluate calls do not promise that, so events are queued
  // and delivered in order, in batches, one evaluate at a time.
  let pending: Array<[string, unknown]> = [];
  let delivering = false;
  const deliver = async () => {
    if (delivering) return;
    delivering = true;
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      await page
        .evaluate((events) => {
          const w = window as unknown as { __gtEmit(e: string, p: unknown): void };
          for (const [n, p] of events) w.__gtEmit(n, p);
        }, batch)
        .catch(() => undefined);
    }
    delivering = false;
  };
  const unsubscribe = API_EVENTS.map((name) =>
    core.events.on(name, (payload) => {
      // The same rule as the app's event forwarder: a blind reviewer's window gets no verdict in the making.
      const sent = blindFilter.forward(name, payload);
      if (sent === null) return;
      record('event', name, sent);
      pending.push([name, sent]);
      void deliver();
    }),
  );

  await page.goto(baseUrl + '/');
  mkdirSync(SCREENSHOT_DIR, { recursive: true });

  return {
    core,
    handlers,
    page,
    browser,
    baseUrl,
    dataDir,
    fileDialogAnswers,
    pageErrors,
    ipcTraffic,
    async screenshot(name) {
      const file = path.join(SCREENSHOT_DIR, `${name}.png`);
      await page.screenshot({ path: file });
      return file;
    },
    async close() {
      for (const off of unsubscribe) off();
      await browser.close().catch(() => undefined);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await core.close();
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Serious or critical axe violations on the page as it is now, one line each (axe is evaluated through DevTools:
 *  the app's CSP, script-src 'self', rightly refuses an injected <script>). */
export async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window)))
    await page.evaluate(readFileSync(path.join(REPO_ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8'));
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(o: unknown): Promise<any> } }).axe;
    const result = await axe.run({ resultTypes: ['violations'] });
    return (result.violations as Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }>)
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map(
        (v) =>
          `${v.id} (${v.impact}): ${v.nodes
            .map((n) => n.target.join(' '))
            .slice(0, 4)
            .join(' | ')}`,
      );
  });
}
