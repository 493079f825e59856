// Where the llama-server executable comes from: the user's own choice, the offline build cache written by
// `npm run build:llama-server` (build/build-llama-server.mjs), or the PATH.
import { constants } from 'node:fs';
import { access, readdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface LlamaServerBinary {
  path: string;
  source: 'user' | 'cache' | 'path';
}

const EXE = process.platform === 'win32' ? 'llama-server.exe' : 'llama-server';
/** A GPU build is only in the cache when the build script found that GPU's toolkit and driver, so prefer it. */
const BACKEND_PREFERENCE = ['cuda', 'vulkan', 'cpu'];

/** Same rule as build/build-llama-server.mjs: GUARDTRACE_CACHE_DIR, else $XDG_CACHE_HOME/guardtrace, else ~/.cache/guardtrace. */
export function guardtraceCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GUARDTRACE_CACHE_DIR) return path.resolve(env.GUARDTRACE_CACHE_DIR);
  return path.join(
    env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache'),
    'guardtrace',
  );
}

export function llamaServerCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(guardtraceCacheDir(env), 'llama-server');
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, process.platform === 'win32' ? constants.F_OK : constants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Cached builds: <cache>/llama-server/<commit>/<backend>/llama-server, best backend first, then newest build. */
export async function cachedLlamaServerBinaries(
  env: NodeJS.ProcessEnv = process.env,
): Promise<Array<{ path: string; backend: string; builtAtMs: number }>> {
  const root = llamaServerCacheDir(env);
  let commits: string[];
  try {
    commits = await readdir(root);
  } catch {
    return [];
  }
  const found: Array<{ path: string; backend: string; builtAtMs: number }> = [];
  for (const commit of commits) {
    for (const backend of BACKEND_PREFERENCE) {
      const file = path.join(root, commit, backend, EXE);
      if (!(await isExecutable(file))) continue;
      let builtAtMs = (await stat(file)).mtimeMs;
      try {
        const info = JSON.parse(await readFile(path.join(root, commit, backend, 'build-info.json'), 'utf8')) as {
          builtAt?: string;
        };
        if (info.builtAt) builtAtMs = Date.parse(info.builtAt) || builtAtMs;
      } catch {
        // build-info.json is informational; the binary itself was checked above
      }
      found.push({ path: file, backend, builtAtMs });
    }
  }
  return found.sort(
    (a, b) =>
      BACKEND_PREFERENCE.indexOf(a.backend) - BACKEND_PREFERENCE.indexOf(b.backend) || b.builtAtMs - a.builtAtMs,
  );
}

async function onPath(env: NodeJS.ProcessEnv): Promise<string | null> {
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, EXE);
    if (await isExecutable(file)) return file;
  }
  return null;
}

/**
 * The user's path wins when it points at an executable file; an unusable user path yields null rather than a silent
 * fallback, so the app can say "Settings → llama-server path: not found" instead of running a different binary.
 */
export async function findLlamaServerBinary(
  userPath?: string | null,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LlamaServerBinary | null> {
  if (userPath) {
    const resolved = path.resolve(userPath);
    return (await isExecutable(resolved)) ? { path: resolved, source: 'user' } : null;
  }
  const cached = await cachedLlamaServerBinaries(env);
  if (cached.length > 0) return { path: cached[0]!.path, source: 'cache' };
  const fromPath = await onPath(env);
  return fromPath ? { path: fromPath, source: 'path' } : null;
}

/** For error messages: what to do when no binary was found. */
export function llamaServerNotFoundHelp(userPath?: string | null, env: NodeJS.ProcessEnv = process.env): string {
  if (userPath) {
    return `The llama-server path in Settings (${userPath}) is not an executable file. Choose the llama-server binary again, or clear the setting to use the built one.`;
  }
  return `No llama-server binary found (looked in ${llamaServerCacheDir(env)} and on PATH). Build it offline with \`npm run build:llama-server\`, or set its path in Settings → Engine.`;
}
