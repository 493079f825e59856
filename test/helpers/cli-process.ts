// `guardtrace` as a real child process (src-main/cli/bin.mjs through tsx), for tests where several processes
// share one data folder.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '@main/store/sqlite/open-database';
import { REPO_ROOT } from './shared-dir';

export const CLI_BIN = path.join(REPO_ROOT, 'src-main/cli/bin.mjs');
const CLI_REPEAT = path.join(REPO_ROOT, 'test/helpers/cli-repeat.mjs');

export interface CliRun {
  child: ChildProcess;
  output: () => { stdout: string; stderr: string };
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function track(child: ChildProcess): CliRun {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => ({ stdout, stderr }), exited };
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): CliRun {
  return track(
    spawn(process.execPath, [CLI_BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    }),
  );
}

/**
 * Runs several CLI commands one after another in ONE child process (each a full `main()`: open the store, work,
 * close), so a test can drive many small writes without paying a process start per command. Prints one JSON line
 * per command: {"code": exit code}.
 */
export function spawnCliRepeat(commands: string[][]): CliRun {
  return track(spawn(process.execPath, [CLI_REPEAT, JSON.stringify(commands)], { stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Reads the data folder's database read-only, as another process would, and closes it again. */
export function readDb<T>(dataDir: string, read: (db: Database.Database) => T): T {
  const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}
