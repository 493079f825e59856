// The Electron shell's pure helpers (no Electron needed): image URL validation, the IPC error envelope and the
// remembered window position.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  devSqliteBinding,
  ELECTRON_NATIVE_DIR,
  ELECTRON_NATIVE_MANIFEST,
  type ElectronNativeManifest,
} from '@main/app/dev-native-binding';
import { hashFromImageUrl, imageUrlFor, isSha256Hex } from '@main/ipc/image-url';
import { toErrorShape } from '@main/ipc/ipc-envelope';
import { loadWindowState } from '@main/app/window-state';
import { APP_FOLDER_NAME, defaultDataDir } from '@main/cli/data-dir';
import { CaseStore } from '@main/store/sqlite';

const HASH = 'ab'.repeat(32);

describe('gt-image URLs', () => {
  it('round-trips a sha256 and rejects anything that is not exactly 64 lowercase hex', () => {
    expect(hashFromImageUrl(imageUrlFor(HASH))).toBe(HASH);
    expect(isSha256Hex(HASH.toUpperCase())).toBe(false);
    for (const bad of [
      `gt-image://image/${HASH.slice(1)}`,
      'gt-image://image/..%2F..%2Fetc%2Fpasswd',
      `gt-image://image/${HASH}/../x`,
      `gt-image://other/${HASH}`,
      `https://image/${HASH}`,
      `gt-image://image/${HASH}?x=1`.replace('?x=1', 'z'),
      'not a url',
    ]) {
      expect(hashFromImageUrl(bad), bad).toBeNull();
    }
  });
});

describe('IPC error envelope', () => {
  it('keeps code and message of core errors and falls back to internal', () => {
    expect(toErrorShape(Object.assign(new Error('Case x not found'), { code: 'not_found' }))).toEqual({
      code: 'not_found',
      message: 'Case x not found',
    });
    expect(toErrorShape(new Error('boom'))).toEqual({ code: 'internal', message: 'boom' });
    expect(toErrorShape('plain')).toEqual({ code: 'internal', message: 'plain' });
  });
});

describe('window state', () => {
  const screenArea = [{ x: 0, y: 0, width: 1920, height: 1080 }];
  const file = (content: string) => {
    const f = path.join(mkdtempSync(path.join(os.tmpdir(), 'gt-window-')), 'window-state.json');
    writeFileSync(f, content);
    return f;
  };

  it('restores a saved on-screen position and size', () => {
    const state = loadWindowState(
      file(JSON.stringify({ bounds: { x: 100, y: 50, width: 1200, height: 800 }, maximized: true })),
      screenArea,
    );
    expect(state).toEqual({ bounds: { x: 100, y: 50, width: 1200, height: 800 }, maximized: true, hasPosition: true });
  });

  it('keeps the size but drops a position on a monitor that is gone', () => {
    const state = loadWindowState(
      file(JSON.stringify({ bounds: { x: 3000, y: 50, width: 1200, height: 800 }, maximized: false })),
      screenArea,
    );
    expect(state.hasPosition).toBe(false);
    expect(state.bounds.width).toBe(1200);
  });

  it('falls back to the default for a missing or corrupt file', () => {
    expect(loadWindowState('/nonexistent/window-state.json', screenArea).bounds.width).toBe(1440);
    expect(loadWindowState(file('{not json'), screenArea).hasPosition).toBe(false);
  });
});

describe('default data directory', () => {
  it('the CLI looks in the folder Electron derives from package.json productName, so CLI and app share cases', async () => {
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as {
      productName?: string;
    };
    expect(pkg.productName).toBe(APP_FOLDER_NAME);
    expect(defaultDataDir({ XDG_CONFIG_HOME: '/x' }, 'linux')).toBe(path.join('/x', APP_FOLDER_NAME, 'data'));
    expect(defaultDataDir({ GUARDTRACE_DATA_DIR: '/d' }, 'linux')).toBe(path.resolve('/d'));
  });
});

describe('better-sqlite3 for Electron in development (npm start)', () => {
  it('loads the build named in the prestart manifest only for the same Electron version, platform and arch', () => {
    const appPath = mkdtempSync(path.join(os.tmpdir(), 'gt-native-'));
    expect(devSqliteBinding(appPath, '41.7.1')).toBeUndefined(); // no manifest: the default addon
    const dir = path.join(appPath, ELECTRON_NATIVE_DIR);
    mkdirSync(dir, { recursive: true });
    const binding = 'better-sqlite3-12.11.1-electron-41.7.1.node';
    const manifest: ElectronNativeManifest = {
      electron: '41.7.1',
      platform: process.platform,
      arch: process.arch,
      betterSqlite3: { version: '12.11.1', binding },
    };
    writeFileSync(path.join(dir, ELECTRON_NATIVE_MANIFEST), JSON.stringify(manifest));
    expect(devSqliteBinding(appPath, '41.7.1')).toBeUndefined(); // named file missing
    writeFileSync(path.join(dir, binding), '');
    expect(devSqliteBinding(appPath, '41.7.1')).toBe(path.join(dir, binding));
    expect(devSqliteBinding(appPath, '42.0.0')).toBeUndefined(); // built for another Electron
  });

  it('the store opens through an explicit native binding', () => {
    // The Node build stands in for the Electron one: what is checked is that the path reaches better-sqlite3.
    const nodeBuild = createRequire(import.meta.url).resolve('better-sqlite3/build/Release/better_sqlite3.node');
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gt-native-store-'));
    const store = CaseStore.open(dataDir, { nativeBinding: nodeBuild });
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    store.close();
    expect(() => CaseStore.open(dataDir, { nativeBinding: path.join(dataDir, 'missing.node') })).toThrow();
  });
});
