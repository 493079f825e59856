// Electron main process: one window over the core's handler map. The only code (with the rest of src-main/app)
// that imports 'electron'; the core is created here and reached by the renderer through the contract only.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, safeStorage, screen } from 'electron';
import { APP_INDEX_URL, isOurPageUrl } from './app-protocol';
import { API_CHANNELS, API_EVENTS, type ApiHandlers, type Channel } from '../api/contract';
import { createCore, type Core } from '../api/core';
import { apiKeyFor, bindApiKey } from '../api/api-key-binding';
import { createHandlers } from '../api/handlers';
import { PathGrants, type PathPurpose } from '../api/renderer-policy';
import { devSqliteBinding } from './dev-native-binding';
import { utilityProcessDecoderHost } from './image-decoder-host';
import { hashFromImageUrl, IMAGE_SCHEME } from '../ipc/image-url';
import { SHELL_CHANNELS, toErrorShape, type IpcEnvelope } from '../ipc/ipc-envelope';
import { buildAppMenu } from './menu';
import {
  applySessionSecurity,
  devServerUrl,
  lockDownWebContents,
  registerAppProtocol,
  registerPrivilegedSchemes,
} from './security';
import { loadWindowState, trackWindowState } from './window-state';

const here = dirname(fileURLToPath(import.meta.url));
const PRELOAD_PATH = join(here, '../preload/index.cjs');
/** The image-decoding process's entry, a second bundle entry beside this one (electron.vite.config.ts). */
const IMAGE_DECODER_ENTRY = join(here, 'image-decoder.js');
/** Served at app://guardtrace/ (never loaded from file://). */
const RENDERER_DIR = join(here, '../renderer');

// Must happen before 'ready': app:// (the page) and gt-image:// (store images) behave like https origins.
registerPrivilegedSchemes();

let mainWindow: BrowserWindow | null = null;
let core: Core | null = null;
/** Paths the user chose in this process's dialogs: the only ones the window may use without a confirmation. */
const pathGrants = new PathGrants();

if (!app.requestSingleInstanceLock()) {
  // A second copy would open the same SQLite store; hand focus to the running one instead.
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      dialog.showErrorBox('GuardTrace could not start', (error as Error)?.stack ?? String(error));
      app.exit(1);
    });
}

function apiKeyFile(): string {
  return join(app.getPath('userData'), 'openai-api-key.bin');
}

async function getApiKey(baseUrl: string): Promise<string | null> {
  const file = apiKeyFile();
  if (!existsSync(file)) return null;
  const bytes = readFileSync(file);
  return safeStorage.isEncryptionAvailable() ? apiKeyFor(safeStorage.decryptString(bytes), baseUrl) : null;
}

async function setApiKey(key: string | null): Promise<{ stored: boolean; encrypted: boolean }> {
  const file = apiKeyFile();
  if (key === null || key === '') {
    rmSync(file, { force: true });
    return { stored: false, encrypted: false };
  }
  // Never write the key in clear text: without an OS keyring there is nothing to store it with.
  if (!safeStorage.isEncryptionAvailable()) return { stored: false, encrypted: false };
  // Bound to the server in Settings now: set the address first, then the key.
  const baseUrl = (await core?.settings())?.openai?.baseUrl ?? '';
  writeFileSync(file, safeStorage.encryptString(bindApiKey(key, baseUrl)), { mode: 0o600 });
  // On Linux without a keyring Electron falls back to a fixed key ('basic_text'): stored, but not truly encrypted.
  const backend =
    process.platform === 'linux' && typeof safeStorage.getSelectedStorageBackend === 'function'
      ? safeStorage.getSelectedStorageBackend()
      : 'os';
  return { stored: true, encrypted: backend !== 'basic_text' && backend !== 'unknown' };
}

function registerImageProtocol(activeCore: Core): void {
  protocol.handle(IMAGE_SCHEME, async (request) => {
    const hash = hashFromImageUrl(request.url);
    if (!hash) return new Response('Image URLs must be gt-image://image/<64 hex sha256>.', { status: 400 });
    const image = await activeCore.readImage(hash);
    if (!image) return new Response(`No image with sha256 ${hash} in the store.`, { status: 404 });
    return new Response(new Uint8Array(image.bytes), {
      headers: {
        'content-type': image.mime,
        // Content-addressed: the bytes behind a hash never change.
        'cache-control': 'private, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
      },
    });
  });
}

/** The exact page we load: app://guardtrace/index.html, or the dev server's origin in development. */
function isFromOurWindow(frameUrl: string | undefined): boolean {
  return isOurPageUrl(frameUrl, devServerUrl(app.isPackaged));
}

/** A path the window named that no dialog of ours returned (a dropped file): the user confirms it here. */
async function confirmPath(purpose: PathPurpose, file: string): Promise<boolean> {
  const options: Electron.MessageBoxOptions = {
    type: 'question',
    buttons: ['Use this path', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
    title: 'Confirm path',
    message: `Use this path for ${purpose}?`,
    detail: file,
  };
  const answer = mainWindow ? await dialog.showMessageBox(mainWindow, options) : await dialog.showMessageBox(options);
  return answer.response === 0;
}

function registerIpc(handlers: ApiHandlers): void {
  for (const channel of API_CHANNELS) {
    ipcMain.handle(channel, async (event, arg): Promise<IpcEnvelope<unknown>> => {
      if (!isFromOurWindow(event.senderFrame?.url)) {
        return { ok: false, error: { code: 'forbidden', message: 'API calls are only accepted from the app window.' } };
      }
      try {
        const handler = handlers[channel as Channel] as (a: unknown) => Promise<unknown>;
        return { ok: true, value: await handler(arg) };
      } catch (error) {
        return { ok: false, error: toErrorShape(error) };
      }
    });
  }
  ipcMain.handle(SHELL_CHANNELS.pickFile, async (event, options: { purpose: string; defaultName?: string }) => {
    if (!isFromOurWindow(event.senderFrame?.url)) {
      return { ok: false, error: { code: 'forbidden', message: 'Dialogs are only opened for the app window.' } };
    }
    try {
      const owner = BrowserWindow.fromWebContents(event.sender) ?? undefined;
      const picked = await pickFile(owner, options);
      if (picked) pathGrants.grant(picked);
      return { ok: true, value: picked } satisfies IpcEnvelope<string | null>;
    } catch (error) {
      return { ok: false, error: toErrorShape(error) } satisfies IpcEnvelope<string | null>;
    }
  });
}

async function pickFile(
  owner: BrowserWindow | undefined,
  options: { purpose: string; defaultName?: string },
): Promise<string | null> {
  const show = <T>(fn: (w: BrowserWindow) => Promise<T>, fallback: () => Promise<T>) =>
    owner ? fn(owner) : fallback();
  switch (options.purpose) {
    case 'import': {
      const opts: Electron.OpenDialogOptions = {
        title: 'Import cases',
        properties: ['openFile'],
        filters: [
          { name: 'Cases (GuardTrace JSON, JSONL, CSV)', extensions: ['json', 'jsonl', 'csv'] },
          { name: 'All files', extensions: ['*'] },
        ],
      };
      const r = await show(
        (w) => dialog.showOpenDialog(w, opts),
        () => dialog.showOpenDialog(opts),
      );
      return r.canceled ? null : (r.filePaths[0] ?? null);
    }
    case 'packFile':
    case 'decisionsFile': {
      const pack = options.purpose === 'packFile';
      const opts: Electron.OpenDialogOptions = {
        title: pack ? 'Import an assignment pack' : 'Import a decisions file',
        properties: ['openFile'],
        filters: [
          pack ? { name: 'Assignment pack', extensions: ['gtpack'] } : { name: 'Decisions file', extensions: ['json'] },
          { name: 'All files', extensions: ['*'] },
        ],
      };
      const r = await show(
        (w) => dialog.showOpenDialog(w, opts),
        () => dialog.showOpenDialog(opts),
      );
      return r.canceled ? null : (r.filePaths[0] ?? null);
    }
    case 'packDir': {
      const opts: Electron.OpenDialogOptions = {
        title: 'Folder for the assignment packs',
        properties: ['openDirectory', 'createDirectory'],
      };
      const r = await show(
        (w) => dialog.showOpenDialog(w, opts),
        () => dialog.showOpenDialog(opts),
      );
      return r.canceled ? null : (r.filePaths[0] ?? null);
    }
    case 'modelDir':
    case 'imagesDir': {
      const opts: Electron.OpenDialogOptions = {
        title: options.purpose === 'modelDir' ? 'Choose the GuardTrace model folder' : 'Choose the images folder',
        properties: ['openDirectory'],
      };
      const r = await show(
        (w) => dialog.showOpenDialog(w, opts),
        () => dialog.showOpenDialog(opts),
      );
      return r.canceled ? null : (r.filePaths[0] ?? null);
    }
    case 'export': {
      const opts: Electron.SaveDialogOptions = {
        title: 'Export',
        defaultPath: options.defaultName ? join(app.getPath('documents'), options.defaultName) : undefined,
      };
      const r = await show(
        (w) => dialog.showSaveDialog(w, opts),
        () => dialog.showSaveDialog(opts),
      );
      return r.canceled ? null : (r.filePath ?? null);
    }
    default:
      throw Object.assign(new Error(`Unknown file dialog purpose "${options.purpose}".`), { code: 'bad_request' });
  }
}

/** One online backup a day into <dataDir>/backups, the newest 7 kept: at start, then every 6 hours while open. */
function scheduleDailyBackup(activeCore: Core): void {
  const run = () =>
    void activeCore
      .dailyBackup(7)
      .catch((error: unknown) => console.error(`Daily backup failed: ${(error as Error).message}`));
  setTimeout(run, 30_000).unref(); // not during start-up
  setInterval(run, 6 * 60 * 60_000).unref();
}

function forwardEvents(activeCore: Core): void {
  for (const name of API_EVENTS) {
    activeCore.events.on(name, (payload) => {
      if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(name, payload);
    });
  }
}

function createWindow(): BrowserWindow {
  const stateFile = join(app.getPath('userData'), 'window-state.json');
  const state = loadWindowState(
    stateFile,
    screen.getAllDisplays().map((d) => d.workArea),
  );
  const window = new BrowserWindow({
    width: state.bounds.width,
    height: state.bounds.height,
    ...(state.hasPosition ? { x: state.bounds.x, y: state.bounds.y } : {}),
    minWidth: 960,
    minHeight: 600,
    show: false,
    backgroundColor: '#0f1115',
    title: 'GuardTrace Workstation',
    icon: join(here, '../../resources/icon.png'),
    webPreferences: {
      preload: PRELOAD_PATH,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
    },
  });
  if (state.maximized) window.maximize();
  trackWindowState(window, stateFile);
  lockDownWebContents(window.webContents);
  window.once('ready-to-show', () => window.show());
  const devUrl = devServerUrl(app.isPackaged);
  if (devUrl) void window.loadURL(devUrl);
  else void window.loadURL(APP_INDEX_URL);
  return window;
}

async function start(): Promise<void> {
  applySessionSecurity(app.isPackaged);
  const dataDir = process.env.GUARDTRACE_DATA_DIR ?? join(app.getPath('userData'), 'data');
  mkdirSync(dataDir, { recursive: true });
  const sqliteNativeBinding = app.isPackaged
    ? undefined
    : devSqliteBinding(app.getAppPath(), process.versions.electron);
  core = await createCore({
    dataDir,
    getApiKey,
    setApiKey,
    sqliteNativeBinding,
    imageDecoderHost: utilityProcessDecoderHost(IMAGE_DECODER_ENTRY),
  });
  if (!devServerUrl(app.isPackaged)) registerAppProtocol(RENDERER_DIR);
  registerImageProtocol(core);
  scheduleDailyBackup(core);
  registerIpc(createHandlers(core, { renderer: { grants: pathGrants, confirm: confirmPath } }));
  forwardEvents(core);
  Menu.setApplicationMenu(buildAppMenu(() => mainWindow));
  mainWindow = createWindow();
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
}

let closing = false;
app.on('before-quit', (event) => {
  if (!core || closing) return;
  // Stop the job runner and close SQLite cleanly before the process goes away.
  event.preventDefault();
  closing = true;
  const activeCore = core;
  core = null;
  activeCore
    .close()
    .catch((error: unknown) => console.error(`Closing the store failed: ${(error as Error).message}`))
    .finally(() => app.quit());
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('activate', () => {
  if (core && BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
});

app.on('web-contents-created', (_event, contents) => lockDownWebContents(contents));
