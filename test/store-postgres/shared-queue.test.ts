// The live shared queue on PostgreSQL: audit jobs leased with SKIP LOCKED and renewed by heartbeat, expired leases
// back in the queue, review claims, and LISTEN/NOTIFY reaching other clients after commit.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { AuditJob } from '@domain/jobs';
import type { AuditResult } from '@domain/audits';
import { TeamChangeListener, type ListenerStatus, type TeamChange } from '@main/store/postgres/change-listener';
import { PostgresJobQueue } from '@main/store/postgres/job-queue';
import { ReviewClaims } from '@main/store/postgres/review-claims';
import { fakeAuditResult } from '../helpers/fake-audit-result';
import { postgresSkipReason, useTeamDatabase } from '../helpers/postgres-test';

const CASES = 40;

function verdictFor(job: AuditJob): AuditResult {
  return fakeAuditResult({
    verdict: { status: 'ok', risk: 0, category: null, analysis: `looked at ${job.caseId}` },
    levelProbs: { '0': 0.9, '0.5': 0.07, '1': 0.03 },
    modelId: job.modelId,
    promptSha256: job.promptSha256,
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(postgresSkipReason !== null)(
  `the shared queue on PostgreSQL${postgresSkipReason ? ` (skipped: ${postgresSkipReason})` : ''}`,
  () => {
    const team = useTeamDatabase(
      [
        ['gpu1', 'auditor'],
        ['gpu2', 'auditor'],
        ['alice', 'reviewer'],
        ['bob', 'reviewer'],
        ['lena', 'lead'],
      ],
      async (admin) => {
        await admin.query(
          `INSERT INTO cases (id, query, thinking, response, source_file, source_record)
           SELECT 'case-' || lpad(i::text, 3, '0'), 'q', 't', 'r', 'seed', i FROM generate_series(1, ${CASES}) i`,
        );
      },
    );
    const pool = (login: string) => team.pool(login, 4);

    it('two workers drain one queue concurrently; every case gets exactly one verdict', async () => {
      const workers = ['gpu1', 'gpu2'].map(
        (login) => new PostgresJobQueue(pool(login), { pid: process.pid, token: randomUUID() }, 30_000),
      );
      expect(await workers[0].enqueueUnaudited('m1', 'p1', 'b1')).toBe(CASES);
      expect(await workers[1].enqueueUnaudited('m1', 'p1', 'b1')).toBe(0); // a live job per case already
      const doneBy = new Map<string, string>();
      await Promise.all(
        workers.map(async (worker, index) => {
          // Two loops per worker, as a sidecar with two slots runs them.
          await Promise.all(
            [0, 1].map(async () => {
              for (let job = await worker.claimNext('m1', 'p1'); job; job = await worker.claimNext('m1', 'p1')) {
                expect(doneBy.has(job.caseId), `${job.caseId} claimed twice`).toBe(false);
                doneBy.set(job.caseId, `gpu${index + 1}`);
                expect(await worker.complete(job, verdictFor(job))).toMatchObject({ stored: true });
              }
            }),
          );
        }),
      );
      expect(doneBy.size).toBe(CASES);
      expect(new Set(doneBy.values())).toEqual(new Set(['gpu1', 'gpu2'])); // both really worked
      const verdicts = await team.admin().query(
        `SELECT count(*)::int AS n, count(DISTINCT case_id)::int AS cases, array_agg(DISTINCT recorded_by) AS by
         FROM audits WHERE model_id = 'm1'`,
      );
      expect(verdicts.rows[0]).toMatchObject({ n: CASES, cases: CASES });
      expect(verdicts.rows[0].by.sort()).toEqual(['gpu1', 'gpu2']);
      expect(await workers[0].counts()).toMatchObject({ done: CASES, running: 0, queued: 0 });
      const mirrored = await team.admin().query(`SELECT count(*)::int AS n FROM cases WHERE model_status = 'ok'`);
      expect(mirrored.rows[0].n).toBe(CASES);
    });

    it('a heartbeat keeps a lease; an expired one goes back to the queue and its late verdict is refused', async () => {
      const slow = new PostgresJobQueue(pool('gpu1'), { pid: process.pid, token: randomUUID() }, 600);
      const other = new PostgresJobQueue(pool('gpu2'), { pid: process.pid, token: randomUUID() }, 600);
      await slow.enqueueUnaudited('m2', 'p2', 'b2');
      const job = (await slow.claimNext('m2', 'p2'))!;
      const stopHeartbeat = slow.startHeartbeat();
      await sleep(900); // longer than the lease: only the heartbeat keeps it
      expect(await other.requeueExpired()).toBe(0);
      stopHeartbeat();
      await sleep(800); // the worker "hangs": no heartbeat, the lease runs out
      expect(await other.requeueExpired()).toBe(1);
      const retaken = (await other.claimNext('m2', 'p2'))!;
      expect(retaken.caseId).toBe(job.caseId);
      await expect(slow.complete(job, verdictFor(job))).rejects.toMatchObject({
        code: 'conflict',
        message: expect.stringContaining('its lease expired and the job went back to the queue'),
      });
      expect(await other.complete(retaken, verdictFor(retaken))).toMatchObject({ stored: true });
      const verdicts = await team
        .admin()
        .query(`SELECT count(*)::int AS n FROM audits WHERE model_id = 'm2' AND case_id = $1`, [job.caseId]);
      expect(verdicts.rows[0].n).toBe(1);
      const orphaned = await team
        .admin()
        .query(`SELECT count(*)::int AS n FROM jobs WHERE status = 'running' AND lease_expires_at < now()`);
      expect(orphaned.rows[0].n).toBe(0);
    });

    it('review claims: the holder renews, others see who has it and skip it, an expired claim frees it', async () => {
      const alice = new ReviewClaims(pool('alice'), 500);
      const bob = new ReviewClaims(pool('bob'), 500);
      const first = await alice.claimNextUnreviewed();
      expect(first).not.toBeNull();
      expect(await bob.claim(first!.caseId)).toMatchObject({ claimed: false, by: 'alice' });
      const bobsNext = await bob.claimNextUnreviewed();
      expect(bobsNext!.caseId).not.toBe(first!.caseId);
      expect(await alice.claim(first!.caseId)).toMatchObject({ claimed: true }); // renewal
      expect(await bob.active([first!.caseId, bobsNext!.caseId])).toEqual([
        expect.objectContaining({ caseId: first!.caseId, by: 'alice' }),
        expect.objectContaining({ caseId: bobsNext!.caseId, by: 'bob' }),
      ]);
      await sleep(700);
      expect(await bob.claim(first!.caseId)).toMatchObject({ claimed: true });
      expect(await alice.claim(first!.caseId)).toMatchObject({ claimed: false, by: 'bob' });
      await bob.release(first!.caseId);
      expect(await alice.claim(first!.caseId)).toMatchObject({ claimed: true });
    });

    it('review claims: ten windows asking for the next case at once each get a different one', async () => {
      const windows = Array.from({ length: 10 }, (_, i) => new ReviewClaims(pool(i % 2 ? 'alice' : 'bob'), 60_000));
      const claims = await Promise.all(windows.map((w) => w.claimNextUnreviewed(10)));
      const ids = claims.map((claim) => claim?.caseId);
      expect(ids.every(Boolean)).toBe(true);
      expect(new Set(ids).size).toBe(10);
    });

    it('LISTEN/NOTIFY: a decision, a verdict and an import reach another client after commit, within a second', async () => {
      const changes: Array<TeamChange & { at: number }> = [];
      const listener = new TeamChangeListener(
        { connectionString: team.url('lena') },
        { onChange: (change) => changes.push({ ...change, at: Date.now() }) },
      );
      await listener.start();
      try {
        const alice = new pg.Client({ connectionString: team.url('alice') });
        await alice.connect();
        await alice.query('BEGIN');
        await alice.query(
          `INSERT INTO reviews (case_id, kind, risk, source) VALUES ('case-040', 'decision', 1, 'manual')`,
        );
        await sleep(300);
        expect(changes).toEqual([]); // nothing before commit
        const committedAt = Date.now();
        await alice.query('COMMIT');
        await alice.end();
        for (let i = 0; i < 100 && !changes.length; i++) await sleep(10);
        expect(changes[0]).toMatchObject({ kind: 'decision', caseId: 'case-040', by: 'alice' });
        expect(changes[0].at - committedAt).toBeLessThan(1000);

        const lead = pool('lena');
        await lead.query(
          `INSERT INTO cases (id, query, thinking, response, source_file, source_record)
           SELECT 'new-' || i, 'q', 't', 'r', 'more', i FROM generate_series(1, 500) i`,
        );
        for (let i = 0; i < 100 && !changes.some((c) => c.kind === 'import'); i++) await sleep(10);
        expect(changes.filter((c) => c.kind === 'import')).toEqual([
          expect.objectContaining({ kind: 'import', count: 500, by: 'lena' }),
        ]);
      } finally {
        await listener.close();
      }
    });

    it('LISTEN/NOTIFY: a dropped listener says so, reconnects with backoff, asks for a resync and hears again', async () => {
      const changes: TeamChange[] = [];
      const statuses: ListenerStatus[] = [];
      const listener = new TeamChangeListener(
        {
          connectionString: team.url('bob'),
          application_name: 'listener-under-test',
        },
        { onChange: (change) => changes.push(change), onStatus: (s) => statuses.push(s), minBackoffMs: 100 },
      );
      await listener.start();
      try {
        await team
          .admin()
          .query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'listener-under-test'`,
          );
        for (let i = 0; i < 300 && !(statuses.length >= 3 && listener.connected); i++) await sleep(10);
        expect(statuses[0]).toEqual({ state: 'connected', resync: false });
        expect(statuses[1]).toMatchObject({ state: 'disconnected' });
        expect(statuses.at(-1)).toEqual({ state: 'connected', resync: true });
        const bob = pool('bob');
        await bob.query(
          `INSERT INTO reviews (case_id, kind, risk, source) VALUES ('case-039', 'decision', 0, 'manual')`,
        );
        for (let i = 0; i < 100 && !changes.length; i++) await sleep(10);
        expect(changes[0]).toMatchObject({ kind: 'decision', caseId: 'case-039', by: 'bob' });
      } finally {
        await listener.close();
      }
    });
  },
);
