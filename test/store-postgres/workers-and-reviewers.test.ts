// Several processes on one team database: two audit-worker processes sharing the queue and reviewers submitting
// decisions as fast as they can, while one worker is SIGKILLed mid-case five times. Afterwards: every case has
// exactly one verdict and was completed once, no lease is left running after expiry, and every acknowledged
// decision is in the database. (A shortened run; the issue's 2-minute soak is not automated here.)
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresDecisionWriter } from '@main/store/postgres/decisions';
import { postgresSkipReason, useTeamDatabase } from '../helpers/postgres-test';
import { REPO_ROOT } from '../helpers/shared-dir';

const CASES = 120;
const LEASE_MS = 1500;
const GENERATE_MS = 150;
const WORKER = path.join(REPO_ROOT, 'test/helpers/team-audit-worker.ts');

interface Worker {
  child: ChildProcess;
  lines: string[];
  exited: Promise<void>;
}

function startWorker(url: string, generateMs = GENERATE_MS): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, url, String(LEASE_MS), String(generateMs)], {
    cwd: REPO_ROOT,
    env: { ...process.env, TSX_TSCONFIG_PATH: path.join(REPO_ROOT, 'tsconfig.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  child.stdout!.on('data', (data: Buffer) => {
    const text = partial + data.toString();
    const parts = text.split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  let stderr = '';
  child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      if (code && code !== 0) lines.push(`exit ${code}: ${stderr}`);
      void signal;
      resolve();
    }),
  );
  return { child, lines, exited };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(postgresSkipReason !== null)(
  `audit workers and reviewers on one database${postgresSkipReason ? ` (skipped: ${postgresSkipReason})` : ''}`,
  () => {
    const team = useTeamDatabase(
      [
        ['gpu1', 'auditor'],
        ['gpu2', 'auditor'],
        ['r1', 'reviewer'],
        ['r2', 'reviewer'],
        ['r3', 'reviewer'],
      ],
      async (admin) => {
        await admin.query(
          `INSERT INTO cases (id, query, thinking, response, source_file, source_record)
           SELECT 'c' || lpad(i::text, 3, '0'), 'q', 't', 'r', 'seed', i FROM generate_series(1, ${CASES}) i`,
        );
        await admin.query(`SELECT guardtrace_enqueue_audits('m', 'p', 'soak')`);
      },
    );
    const workers: Worker[] = [];
    const pools: pg.Pool[] = [];
    // Registered after useTeamDatabase's, so it runs first: no worker outlives the cluster.
    afterAll(async () => {
      for (const worker of workers) worker.child.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.exited));
    });

    it('SIGKILL a worker mid-case five times: one verdict per case, no orphaned lease, no lost decision', async () => {
      const url = team.url;
      // The steady worker is slower, so the queue outlasts five restarts of the other even on a loaded machine.
      const steady = startWorker(url('gpu2'), 400);
      workers.push(steady);

      // Three reviewers submitting as fast as they can while the workers run.
      let reviewing = true;
      const acknowledged: Record<string, number> = { r1: 0, r2: 0, r3: 0 };
      const reviewers = Object.keys(acknowledged).map(async (login, n) => {
        const pool = team.pool(login, 1);
        pools.push(pool);
        const writer = new PostgresDecisionWriter(pool);
        for (let i = 0; reviewing; i++) {
          await writer.submit({
            caseId: `c${String(((i * 7 + n * 13) % CASES) + 1).padStart(3, '0')}`,
            risk: i % 2 ? 1 : 0,
          });
          acknowledged[login]++;
        }
      });

      let kills = 0;
      while (kills < 5) {
        const victim = startWorker(url('gpu1'));
        workers.push(victim);
        // Wait until it is mid-case: claimed, not yet done.
        for (let i = 0; i < 600; i++) {
          const last = victim.lines.at(-1);
          if (last?.startsWith('claimed ') || last === 'idle') break;
          await sleep(20);
        }
        if (victim.lines.at(-1) === 'idle') break;
        victim.child.kill('SIGKILL');
        await victim.exited;
        kills++;
      }
      expect(kills).toBe(5);
      // A last gpu1 worker, to be sure the killed leases are picked up by someone once they expire.
      const finisher = startWorker(url('gpu1'));
      workers.push(finisher);
      await Promise.race([Promise.all([steady.exited, finisher.exited]), sleep(90_000)]);
      // Jobs killed late may still be leased: wait one lease and let a worker pick them up.
      const remaining = await team.admin().query(`SELECT count(*)::int AS n FROM jobs WHERE status <> 'done'`);
      if (remaining.rows[0].n > 0) {
        await sleep(LEASE_MS + 200);
        const cleaner = startWorker(url('gpu2'));
        workers.push(cleaner);
        await cleaner.exited;
      }
      reviewing = false;
      await Promise.all(reviewers);

      const verdicts = await team
        .admin()
        .query(`SELECT count(*)::int AS n, count(DISTINCT case_id)::int AS cases FROM audits WHERE model_id = 'm'`);
      expect(verdicts.rows[0]).toEqual({ n: CASES, cases: CASES });
      const completed = new Map<string, number>();
      for (const worker of workers)
        for (const line of worker.lines)
          if (line.startsWith('done ')) completed.set(line.slice(5), (completed.get(line.slice(5)) ?? 0) + 1);
      expect(completed.size).toBe(CASES);
      expect([...completed.values()].every((n) => n === 1)).toBe(true);
      const jobs = await team.admin().query(`SELECT status, count(*)::int AS n FROM jobs GROUP BY status`);
      expect(jobs.rows).toEqual([{ status: 'done', n: CASES }]);
      const leases = await team.admin().query(`SELECT count(*)::int AS n FROM jobs WHERE owner_login IS NOT NULL`);
      expect(leases.rows[0].n).toBe(0);
      const stored = await team
        .admin()
        .query<{ reviewer: string; n: number }>(
          `SELECT reviewer, count(*)::int AS n FROM reviews GROUP BY reviewer ORDER BY reviewer`,
        );
      expect(Object.fromEntries(stored.rows.map((r) => [r.reviewer, r.n]))).toEqual(acknowledged);
      expect(Object.values(acknowledged).every((n) => n > 0)).toBe(true);
      // Every client counts the same decided cases.
      const counts = await Promise.all(
        pools.map(
          async (pool) =>
            (await pool.query(`SELECT count(*)::int AS n FROM cases WHERE human_risk IS NOT NULL`)).rows[0].n,
        ),
      );
      expect(new Set(counts).size).toBe(1);
    }, 240_000);
  },
);
