// `guardtrace` as a child process whose peak memory the test reads back (report-max-rss.mjs), for the proofs that
// hostile input is refused with bounded memory and the process stays up.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI_BIN } from './cli-process';
import { REPO_ROOT } from './shared-dir';

const REPORTER = pathToFileURL(path.join(REPO_ROOT, 'test/helpers/report-max-rss.mjs')).href;

export interface BoundedRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Peak resident memory of the whole process (main thread and workers), MiB; NaN when it was not reported. */
  maxRssMib: number;
}

export function runCliMeasured(args: string[], timeoutMs = 240_000): Promise<BoundedRun> {
  const child = spawn(process.execPath, ['--import', REPORTER, CLI_BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const reported = /max-rss-kib=(\d+)/.exec(stderr);
      resolve({
        code,
        signal,
        stdout,
        stderr: stderr.replace(/\n?max-rss-kib=\d+\n?/, ''),
        maxRssMib: reported ? Number(reported[1]) / 1024 : Number.NaN,
      });
    }),
  );
}
