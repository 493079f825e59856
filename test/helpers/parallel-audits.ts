// The checks every engine with N > 1 cases in flight must pass through the real audit runner (the llama-server
// sidecar in test/remote/sidecar-parallel.test.ts, in-process node-llama-cpp in test/jobs/in-process-parallel.test.ts):
// cancel stops every in-flight case, and a SIGKILL of the CLI mid-batch, then the same command again, loses and
// duplicates nothing.
import { databaseOf } from '../helpers/store-fixtures';
import { spawn } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import type { Core } from '@main/api/core';
import type { createHandlers } from '@main/api/handlers';
import { DATABASE_FILE } from '@main/store/sqlite/open-database';
import { REPO_ROOT } from './shared-dir';

const BIN = path.join(REPO_ROOT, 'src-main/cli/bin.mjs');

export function verdictsPerCase(db: Database.Database): Array<{ id: string; n: number }> {
  return db
    .prepare<[], { id: string; n: number }>(
      'SELECT c.id, count(a.id) AS n FROM cases c LEFT JOIN audits a ON a.case_id = c.id GROUP BY c.id ORDER BY c.id',
    )
    .all();
}

/** Cases `case-0` … `case-{n-1}`, one verdict each. */
export function everyCaseOnce(cases: number): Array<{ id: string; n: number }> {
  return Array.from({ length: cases }, (_, i) => ({ id: `case-${i}`, n: 1 }));
}

/**
 * With a model loaded for `slots` cases in flight and every case queued: starts a batch, cancels it once `slots`
 * cases stream, and checks that no token or verdict came after the cancel and no job is left running; then the next
 * start audits every case once (the engine got all its slots back).
 */
export async function expectCancelStopsEveryInFlightCase(
  core: Core,
  handlers: ReturnType<typeof createHandlers>,
  slots: number,
  cases: number,
): Promise<void> {
  const streaming = new Set<string>();
  let tokensAfterCancel = 0;
  let cancelled = false;
  core.events.on('audit.token', ({ caseId }) => {
    if (cancelled) tokensAfterCancel++;
    streaming.add(caseId);
  });
  await handlers['audit.start']({ maxNewTokens: 2000 });
  const deadline = Date.now() + 120_000;
  while (streaming.size === 0 || (core.jobs.progress().inFlightCaseIds?.length ?? 0) < slots) {
    if (Date.now() > deadline) throw new Error(`never ${slots} cases in flight (${streaming.size} streamed)`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const verdictsBefore = (await core.store.metrics.stats()).audits;
  const started = performance.now();
  cancelled = true;
  const progress = await handlers['audit.cancel']();
  expect(performance.now() - started).toBeLessThan(5_000);
  expect(progress).toMatchObject({ state: 'idle', inFlightCaseIds: [] });
  await new Promise((r) => setTimeout(r, 500));
  expect(tokensAfterCancel).toBe(0);
  expect((await core.store.metrics.stats()).audits).toBe(verdictsBefore);
  expect(await core.store.jobs.counts()).toMatchObject({ running: 0, queued: 0 });
  // The engine is still usable: the cancelled cases are audited by the next start, each once.
  await handlers['audit.start']({ maxNewTokens: 16 });
  expect(await core.jobs.whenSettled()).toMatchObject({ state: 'done', failed: 0 });
  expect(verdictsPerCase(databaseOf(core.dataDir))).toEqual(everyCaseOnce(cases));
}

/**
 * Runs `guardtrace audit` with `cliArgs` on a data folder whose `cases` cases are all queued, SIGKILLs it while
 * `slots` jobs run, then runs the same command again: every case ends with one verdict and one activity-log entry, the
 * verdicts written before the kill are kept as they were, and every job is done. `afterKill` gets the killed CLI's pid
 * (e.g. to kill a server it started, which a SIGKILLed app cannot stop); `beforeKill` runs just before the kill.
 */
export async function expectSigkillThenResumeLosesNothing(args: {
  dataDir: string;
  cliArgs: string[];
  slots: number;
  cases: number;
  beforeKill?: (pid: number) => (() => void) | void;
}): Promise<void> {
  const { dataDir, slots, cases } = args;
  const command = [BIN, 'audit', '--data-dir', dataDir, ...args.cliArgs];
  const first = spawn(process.execPath, command, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  first.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => first.on('exit', resolve));
  const db = () => new Database(path.join(dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true });
  const running = () => {
    const conn = db();
    try {
      return conn.prepare<[], { n: number }>("SELECT count(*) AS n FROM jobs WHERE status = 'running'").get()!.n;
    } finally {
      conn.close();
    }
  };
  // Kill while every slot holds a case, so several interrupted jobs must come back.
  const deadline = Date.now() + 120_000;
  while (running() < slots) {
    if (first.exitCode !== null || Date.now() > deadline) throw new Error(`no full batch in flight: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const afterKill = args.beforeKill?.(first.pid!);
  first.kill('SIGKILL');
  await exited;
  afterKill?.();
  const conn = db();
  const before = conn.prepare<[], { id: number; case_id: string }>('SELECT id, case_id FROM audits').all();
  conn.close();
  expect(before.length).toBeLessThan(cases);

  const second = spawn(process.execPath, [...command, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  second.stdout!.on('data', (d) => (out += d));
  second.stderr!.on('data', (d) => (stderr += d));
  const code = await new Promise((resolve) => second.on('exit', resolve));
  expect(code, stderr.slice(-2000)).toBe(0);
  expect(JSON.parse(out.trim().split('\n').at(-1)!)).toMatchObject({ state: 'done', failed: 0 });
  const after = db();
  try {
    expect(verdictsPerCase(after)).toEqual(everyCaseOnce(cases));
    expect(after.prepare('SELECT id, case_id FROM audits ORDER BY id').all().slice(0, before.length)).toEqual(
      [...before].sort((a, b) => a.id - b.id),
    );
    const log = after
      .prepare<[], { n: number }>(
        "SELECT count(*) AS n FROM audit_log WHERE action = 'audit.verdict' GROUP BY case_id HAVING n <> 1",
      )
      .all();
    expect(log).toEqual([]);
    expect(
      after.prepare<[], { status: string; n: number }>('SELECT status, count(*) AS n FROM jobs GROUP BY status').all(),
    ).toEqual([{ status: 'done', n: cases }]);
  } finally {
    after.close();
  }
}
