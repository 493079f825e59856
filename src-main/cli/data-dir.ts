import os from 'node:os';
import path from 'node:path';

/** The app's name as Electron derives its userData folder from it. */
export const APP_FOLDER_NAME = 'GuardTrace Workstation';

/**
 * Where the CLI finds the case store when --data-dir is not given: GUARDTRACE_DATA_DIR, else the folder the
 * desktop app uses (<userData>/data), so the CLI and the app work on the same cases by default.
 */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (env.GUARDTRACE_DATA_DIR) return path.resolve(env.GUARDTRACE_DATA_DIR);
  return path.join(userDataDir(env, platform), 'data');
}

/** Electron's app.getPath('userData'): appData + app name. */
export function userDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  const home = os.homedir();
  if (platform === 'win32')
    return path.win32.join(env.APPDATA ?? path.win32.join(home, 'AppData', 'Roaming'), APP_FOLDER_NAME);
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', APP_FOLDER_NAME);
  return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), APP_FOLDER_NAME);
}
