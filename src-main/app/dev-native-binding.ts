// `npm start` runs Electron on the development node_modules, whose better-sqlite3 is built for Node's ABI (the CLI
// and the tests load it from Node). `build/ensure-electron.mjs` (prestart) builds a second copy for Electron's ABI
// and records it in a manifest; a packaged app never needs this, electron-builder rebuilds the addon for Electron.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ELECTRON_NATIVE_DIR = join('node_modules', '.guardtrace-electron');
export const ELECTRON_NATIVE_MANIFEST = 'manifest.json';

export interface ElectronNativeManifest {
  electron: string;
  platform: string;
  arch: string;
  betterSqlite3: { version: string; binding: string };
}

/** The Electron build of better-sqlite3 for this Electron version, or undefined (then the default one is loaded). */
export function devSqliteBinding(
  appPath: string,
  electronVersion: string,
  platform = process.platform,
  arch = process.arch,
): string | undefined {
  const file = join(appPath, ELECTRON_NATIVE_DIR, ELECTRON_NATIVE_MANIFEST);
  if (!existsSync(file)) return undefined;
  try {
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as ElectronNativeManifest;
    if (manifest.electron !== electronVersion || manifest.platform !== platform || manifest.arch !== arch)
      return undefined;
    const binding = join(appPath, ELECTRON_NATIVE_DIR, manifest.betterSqlite3.binding);
    return existsSync(binding) ? binding : undefined;
  } catch {
    return undefined;
  }
}
