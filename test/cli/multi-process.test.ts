// Several `guardtrace` processes on one data folder, as real child processes: writes wait for each other instead
// of failing with "database is locked", and a process never takes the jobs another live process is working on
// (each case is generated exactly once: the fake server counts generations, not only verdicts).
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PROFILE } from '@main/engine/profiles';
import { LATEST_SCHEMA_VERSION } from '@main/store/sqlite/migrations';
import { readDb, spawnCli, spawnCliRepeat, type CliRun } from '../helpers/cli-process';
import { FAKE_MODEL, startFakeOpenAiServer, type FakeOpenAiServer } from '../helpers/fake-openai-server';
import { REPO_ROOT, SHARED_DIR, tempDir } from '../helpers/temp-dir';

const PROMPT_FILE_NAME = DEFAULT_PROFILE.prompt.fileName;
const SHARED_PROMPT = path.join(SHARED_DIR, 'guardtrace', PROMPT_FILE_NAME);

let promptDir: string;
let server: FakeOpenAiServer;

beforeAll(async () => {
  promptDir = path.join(tempDir('guardtrace-multi-'), 'prompt');
  mkdirSync(promptDir);
  copyFileSync(SHARED_PROMPT, path.join(promptDir, PROMPT_FILE_NAME));
  // ~1.6 s a case: a second process starts (tsx, connect checks) while the first is still on its first case.
  server = await startFakeOpenAiServer({ pieceDelayMs: 400 });
});
afterAll(async () => server?.close());

function writeCases(file: string, ids: string[]): void {
  writeFileSync(
    file,
    ids
      .map((id) => JSON.stringify({ id, question: `question ${id} end`, thinking: `thinking ${id}`, response: 'no' }))
      .join('\n') + '\n',
  );
}

async function expectExit(run: CliRun, code: number): Promise<void> {
  const exit = await run.exited;
  expect(exit.code, `exit ${exit.code} ${exit.signal ?? ''}: ${run.output().stderr.slice(-3000)}`).toBe(code);
}

/** How many times the server generated each case (by the case id written into its query). */
function generationsPerCase(ids: string[], on = server): Record<string, number> {
  return Object.fromEntries(
    ids.map((id) => [id, on.generations.filter((text) => text.includes(`question ${id} end`)).length]),
  );
}

const auditArgs = (dataDir: string, on = server) => [
  'audit',
  '--data-dir',
  dataDir,
  '--engine',
  'openai',
  '--base-url',
  on.baseUrl,
  '--model',
  FAKE_MODEL,
  '--prompt-dir',
  promptDir,
  '--json',
];

async function importCli(dataDir: string, file: string): Promise<void> {
  await expectExit(spawnCli(['import', file, '--data-dir', dataDir, '--json']), 0);
}

/** A fresh data folder holding `count` cases named `<prefix>-<i>`, imported by the CLI. */
async function importedFolder(prefix: string, count: number): Promise<{ dataDir: string; ids: string[] }> {
  const dir = tempDir('guardtrace-multi-');
  const dataDir = path.join(dir, 'data');
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  writeCases(path.join(dir, 'cases.jsonl'), ids);
  await importCli(dataDir, path.join(dir, 'cases.jsonl'));
  return { dataDir, ids };
}

describe('several processes on one data folder', () => {
  it('several processes creating the same new database at the same instant each find it migrated exactly once', async () => {
    const dataDir = path.join(tempDir('guardtrace-multi-'), 'data');
    // Each child loads the store code first, then waits for the same wall-clock instant, so the opens really race.
    const startAt = Date.now() + 4000;
    const script = `
      import { register } from 'tsx/esm/api';
      register();
      const { CaseStore } = await import(${JSON.stringify(path.join(REPO_ROOT, 'src-main/store/sqlite/index.ts'))});
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, ${startAt} - Date.now() - 30)));
      while (Date.now() < ${startAt}) {} // the last few ms spinning, for a sharp start
      CaseStore.open(${JSON.stringify(dataDir)}).close();
    `;
    const children = Array.from({ length: 6 }, () =>
      spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] }),
    );
    const results = await Promise.all(
      children.map(
        (child) =>
          new Promise<{ code: number | null; stderr: string }>((resolve) => {
            let stderr = '';
            child.stderr!.on('data', (d) => (stderr += d));
            child.on('exit', (code) => resolve({ code, stderr }));
          }),
      ),
    );
    expect(results.filter((r) => r.code !== 0).map((r) => r.stderr.slice(-500))).toEqual([]);
    readDb(dataDir, (db) => {
      expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
      expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'cases'").get()).toEqual({ n: 1 });
    });
  }, 240_000);

  it('an import and a stream of reviews at once: every write lands, none fails with "database is locked"', async () => {
    const dir = tempDir('guardtrace-multi-');
    const dataDir = path.join(dir, 'data');
    const reviewed = Array.from({ length: 30 }, (_, i) => `review-${i}`);
    writeCases(path.join(dir, 'first.jsonl'), reviewed);
    await importCli(dataDir, path.join(dir, 'first.jsonl'));
    const bulk = Array.from({ length: 30_000 }, (_, i) => `bulk-${i}`);
    writeCases(path.join(dir, 'bulk.jsonl'), bulk);

    const importing = spawnCli(['import', path.join(dir, 'bulk.jsonl'), '--data-dir', dataDir, '--json']);
    // Reviews start once the import is committing batches, so the two really write at the same time.
    await waitFor(() => caseCount(dataDir) > reviewed.length, importing);
    const reviewing = spawnCliRepeat(
      [...reviewed, ...reviewed].map((id, i) => [
        'review',
        id,
        '--risk',
        i % 2 ? '1' : '0',
        '--reviewer',
        'ann',
        '--data-dir',
        dataDir,
      ]),
    );
    await Promise.all([expectExit(importing, 0), expectExit(reviewing, 0)]);
    const codes = reviewing
      .output()
      .stdout.trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { code: number }).code);
    expect(codes, reviewing.output().stderr.slice(-3000)).toEqual([...reviewed, ...reviewed].map(() => 0));
    expect(reviewing.output().stderr).not.toMatch(/locked|busy/i);
    expect(JSON.parse(importing.output().stdout)).toMatchObject({ imported: bulk.length, rejected: 0 });
    readDb(dataDir, (db) => {
      expect(db.prepare('SELECT count(*) AS n FROM cases').get()).toEqual({ n: reviewed.length + bulk.length });
      expect(db.prepare("SELECT count(*) AS n FROM reviews WHERE kind = 'decision'").get()).toEqual({
        n: 2 * reviewed.length,
      });
      expect(db.prepare('SELECT count(*) AS n FROM cases WHERE human_risk IS NOT NULL').get()).toEqual({
        n: reviewed.length,
      });
      expect(db.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'review.submit'").get()).toEqual({
        n: 2 * reviewed.length,
      });
    });
  }, 240_000);

  it('two audits started on one folder a moment apart: each case generated exactly once, one verdict each', async () => {
    const { dataDir, ids } = await importedFolder('twin', 6);
    // ~4 s a case, so the first process is still generating its case while the second starts and claims.
    const slow = await startFakeOpenAiServer({ pieceDelayMs: 1000 });
    try {
      const first = spawnCli(auditArgs(dataDir, slow));
      await waitFor(() => generationsPerCase(ids, slow)[ids[0]] > 0, first);
      const second = spawnCli(auditArgs(dataDir, slow));
      await Promise.all([expectExit(first, 0), expectExit(second, 0)]);
      const summaries = [first, second].map(
        (run) => JSON.parse(run.output().stdout.trim().split('\n').at(-1)!) as { done: number; failed: number },
      );
      expect(summaries[0].done + summaries[1].done).toBe(ids.length);
      expect(summaries.map((summary) => summary.failed)).toEqual([0, 0]);
      expect(summaries[1].done, 'the second process should have shared the work').toBeGreaterThan(0);
      expect(generationsPerCase(ids, slow)).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
      readDb(dataDir, (db) => {
        expect(
          db
            .prepare<[], { n: number }>('SELECT count(*) AS n FROM audits GROUP BY case_id')
            .all()
            .map((r) => r.n),
        ).toEqual(ids.map(() => 1));
        expect(db.prepare('SELECT status, count(*) AS n, max(attempts) AS a FROM jobs GROUP BY status').all()).toEqual([
          { status: 'done', n: ids.length, a: 0 },
        ]);
      });
    } finally {
      await slow.close();
    }
  }, 240_000);

  it('`stats` while an audit runs takes none of its running jobs', async () => {
    const { dataDir, ids } = await importedFolder('stats', 6);

    // Two cases in flight: a job put back by mistake would be claimed again by the other worker at once.
    const audit = spawnCli([...auditArgs(dataDir), '--parallel', '2']);
    await waitFor(() => generationsPerCase(ids)[ids[1]] > 0, audit);
    const running = readDb(dataDir, (db) =>
      db
        .prepare<[], { id: number }>("SELECT id FROM jobs WHERE status = 'running'")
        .all()
        .map((r) => r.id),
    );
    expect(running.length).toBeGreaterThan(0);
    const stats = spawnCli(['stats', '--data-dir', dataDir, '--json']);
    await expectExit(stats, 0);
    expect(JSON.parse(stats.output().stdout)).toMatchObject({ cases: ids.length });
    const afterStats = readDb(dataDir, (db) =>
      running.map(
        (id) => db.prepare<[number], { status: string }>('SELECT status FROM jobs WHERE id = ?').get(id)!.status,
      ),
    );
    expect(afterStats.filter((status) => status === 'queued')).toEqual([]);
    await expectExit(audit, 0);
    expect(generationsPerCase(ids)).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
    expect(JSON.parse(audit.output().stdout.trim().split('\n').at(-1)!)).toMatchObject({
      done: ids.length,
      failed: 0,
    });
  }, 240_000);
});

const caseCount = (dataDir: string): number => {
  try {
    return readDb(dataDir, (db) => db.prepare<[], { n: number }>('SELECT count(*) AS n FROM cases').get()!.n);
  } catch {
    return 0; // not created yet
  }
};

async function waitFor(condition: () => boolean, run: CliRun, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (run.child.exitCode !== null)
      throw new Error(`the process exited (${run.child.exitCode}) first: ${run.output().stderr.slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`timed out: ${run.output().stderr.slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
