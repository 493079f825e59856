// The real Electron app: main process, sandboxed preload, CSP, image protocol and the handler map over IPC.
// Needs the Electron binary (node build/ensure-electron.mjs, internet once); skips itself where it is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron as electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_SET_DIR } from '../helpers/shared-dir';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SAMPLE_FILE = path.join(SAMPLE_SET_DIR, 'cases.json');

function electronBinary(): string | null {
  try {
    const dir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
    const pathFile = path.join(dir, 'path.txt');
    if (!existsSync(pathFile)) return null;
    const binary = path.join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
    return existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

function withoutDevServer(env: NodeJS.ProcessEnv): Record<string, string> {
  const copy = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  delete copy.ELECTRON_RENDERER_URL; // load the built renderer from app://guardtrace/, as a packaged app does
  return copy;
}

const binary = electronBinary();
const skipReason = binary
  ? null
  : 'no Electron binary in node_modules/electron (installed with scripts disabled). Run `node build/ensure-electron.mjs` with internet access, then `npm run test:electron`.';
if (skipReason) console.warn(`[electron] SKIPPED: ${skipReason}`);

describe.skipIf(skipReason !== null)('GuardTrace in Electron', () => {
  let app: ElectronApplication;
  let page: Page;
  let dataDir: string;

  beforeAll(async () => {
    const built = spawnSync(
      process.execPath,
      [path.join(REPO_ROOT, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'],
      {
        cwd: REPO_ROOT,
        stdio: 'inherit',
      },
    );
    if (built.status !== 0) throw new Error('`electron-vite build` failed; see the output above.');
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'guardtrace-electron-'));
    app = await electron.launch({
      executablePath: binary!,
      args: [REPO_ROOT, ...(process.platform === 'linux' && process.getuid?.() === 0 ? ['--no-sandbox'] : [])],
      env: { ...withoutDevServer(process.env), GUARDTRACE_DATA_DIR: dataDir },
    });
    page = await app.firstWindow();
    await page.getByTestId('queue-list').waitFor();
  });

  afterAll(async () => {
    await app?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the page from app://guardtrace/, never file://, and refuses paths outside the bundle', async () => {
    expect(page.url()).toBe('app://guardtrace/index.html');
    const statuses = await page.evaluate(() =>
      Promise.all(
        [
          'app://guardtrace/index.html',
          'app://guardtrace/..%2F..%2Fpackage.json',
          'app://guardtrace/%2e%2e/%2e%2e/package.json',
          'app://other/index.html',
        ].map((url) =>
          fetch(url).then(
            (r) => r.status,
            () => 0, // refused before any response (the CSP's connect-src for another host)
          ),
        ),
      ),
    );
    expect(statuses[0]).toBe(200);
    for (const status of statuses.slice(1)) expect(status === 0 || status >= 400).toBe(true);
    // The CSP arrives with the page itself (the protocol handler sets it, not only the meta tag).
    const csp = await page.evaluate(() =>
      fetch('app://guardtrace/index.html').then((r) => r.headers.get('content-security-policy')),
    );
    expect(csp).toContain("default-src 'none'");
  });

  it('runs with contextIsolation, sandbox and no Node in the page, and exposes only window.api', async () => {
    const page_ = await page.evaluate(() => ({
      require: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
      apiKeys: Object.keys((window as unknown as { api: object }).api).sort(),
    }));
    expect(page_).toEqual({
      require: 'undefined',
      process: 'undefined',
      apiKeys: ['imageUrl', 'invoke', 'on', 'onMenuCommand', 'pathForFile', 'pickFile', 'platform'],
    });
    // A sandboxed preload cannot reach Node: the bridge object must not leak ipcRenderer or require.
    const leaked = await page.evaluate(() =>
      JSON.stringify(Object.getOwnPropertyNames(window).filter((k) => /ipc|electron|require/i.test(k))),
    );
    expect(leaked).toBe('[]');
  });

  it('imports through IPC, serves the image over gt-image:// and refuses bad hashes', async () => {
    const summary = await page.evaluate(
      (file) =>
        (window as unknown as { api: { invoke(c: string, a: unknown): Promise<{ imported: number }> } }).api.invoke(
          'import.run',
          { file },
        ),
      SAMPLE_FILE,
    );
    expect(summary.imported).toBeGreaterThan(0);
    await page.locator('[role="option"]').first().click();
    await page.getByTestId('case-image').waitFor();
    const loaded = await page
      .getByTestId('case-image')
      .evaluate((img: HTMLImageElement) => img.decode().then(() => ({ width: img.naturalWidth, src: img.src })));
    expect(loaded.width).toBeGreaterThan(0);
    expect(loaded.src).toMatch(/^gt-image:\/\/image\/[0-9a-f]{64}$/);
    // From app://guardtrace, gt-image:// is another origin and not corsEnabled: the page shows images with <img>
    // but cannot read them with fetch. The handler's own refusal is checked from the main process.
    const fromPage = await page.evaluate(() =>
      fetch('gt-image://image/..%2F..%2Fetc%2Fpasswd').then(
        (r) => r.status,
        () => 0,
      ),
    );
    expect(fromPage === 0 || fromPage === 400).toBe(true);
    const bad = await app.evaluate(({ net }) =>
      net.fetch('gt-image://image/..%2F..%2Fetc%2Fpasswd').then((r) => r.status),
    );
    expect(bad).toBe(400);
    // The import's image headers were read in the image-decoding utilityProcess, not in the main process.
    const utilities = await app.evaluate(({ app: electronApp }) =>
      electronApp
        .getAppMetrics()
        .filter((m) => m.type === 'Utility')
        .map((m) => m.name ?? m.serviceName ?? ''),
    );
    expect(utilities).toContain('GuardTrace image decoder');
  });

  it('errors cross IPC as {code, message}', async () => {
    const error = await page.evaluate(() =>
      (window as unknown as { api: { invoke(c: string, a: unknown): Promise<unknown> } }).api
        .invoke('cases.get', { id: 'no-such-case' })
        .then(
          () => null,
          (e: { code?: string; message: string }) => ({ code: e.code, message: e.message }),
        ),
    );
    expect(error?.message).toContain('no-such-case');
  });

  it('blocks navigation and new windows', async () => {
    const before = page.url();
    await page.evaluate(() => {
      window.open('https://example.com');
      location.href = 'https://example.com';
    });
    await page.waitForTimeout(500);
    expect(page.url()).toBe(before);
    expect(app.windows().length).toBe(1);
  });
});
