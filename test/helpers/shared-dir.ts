// Where the project's shared, read-only inputs live (the GuardTrace prompt, the sample case set). They are never
// copied into this repo, so a checkout must find them next to itself. No vitest import: scripts use this too.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A clean clone made from a local checkout (as CI and `git clone . /tmp/x` do) finds shared/ next to its origin. */
function nextToLocalOrigin(): string | undefined {
  try {
    const origin = execFileSync('git', ['-C', REPO_ROOT, 'config', '--get', 'remote.origin.url'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return origin && path.isAbsolute(origin) ? path.resolve(origin, '../shared') : undefined;
  } catch {
    return undefined;
  }
}

function findSharedDir(): string {
  const beside = path.resolve(REPO_ROOT, '../shared');
  // Lazily, in order: asking git costs a process start in every test file, so only when the cheap places fail.
  const candidates = [() => process.env.GUARDTRACE_SHARED_DIR, () => beside, nextToLocalOrigin, () => '/work/shared'];
  for (const candidate of candidates) {
    const dir = candidate();
    if (dir && existsSync(path.join(dir, 'guardtrace'))) return dir;
  }
  return beside;
}

/** `$GUARDTRACE_SHARED_DIR`, else `../shared` beside the repo (or beside the repo it was cloned from). */
export const SHARED_DIR = findSharedDir();
export const SHARED_PROMPT_FILE = path.join(SHARED_DIR, 'guardtrace/qta_pormpt.txt');
export const SAMPLE_SET_DIR = path.join(SHARED_DIR, 'samples/guardtrace-sample');
