// The parts of the store contract (src-main/store/contract.ts) the PostgreSQL engine implements so far, through the
// contract's own methods, as the logins that would call them. When the contract suite (test/store-contract/) lands,
// these behaviours move there and run on both engines. The tests share one database and run in order: later ones
// read what earlier ones stored.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AuditResult } from '@domain/audits';
import { PostgresAdjudicationStore } from '@main/store/postgres/adjudication';
import { PostgresCaseDetails } from '@main/store/postgres/case-details';
import { PostgresDecisionWriter } from '@main/store/postgres/decisions';
import { PostgresJobQueue } from '@main/store/postgres/job-queue';
import { PostgresSettingsStore } from '@main/store/postgres/settings';
import { PostgresVerdictStore } from '@main/store/postgres/verdicts';
import { fakeAuditResult } from '../helpers/fake-audit-result';
import { postgresSkipReason, useTeamDatabase } from '../helpers/postgres-test';

const result = fakeAuditResult;

describe.skipIf(postgresSkipReason !== null)(
  `store contract on PostgreSQL (partial)${postgresSkipReason ? ` (skipped: ${postgresSkipReason})` : ''}`,
  () => {
    const team = useTeamDatabase(
      [
        ['ann', 'reviewer'],
        ['ben', 'reviewer'],
        ['lea', 'lead'],
        ['gpu', 'auditor'],
      ],
      async (admin) => {
        await admin.query(
          `INSERT INTO cases (id, query, thinking, response, source_file, source_record)
           SELECT 'k' || i, 'q', 't', 'r', 'seed', i FROM generate_series(1, 12) i`,
        );
      },
    );
    const pool = (login: string) => team.pool(login);
    const queueFor = (login: string) => new PostgresJobQueue(pool(login), { pid: process.pid, token: randomUUID() });

    describe('decisions', () => {
      it('submit records under the login, resolves after commit, and logs before/after', async () => {
        const ann = new PostgresDecisionWriter(pool('ann'));
        const first = await ann.submit({
          caseId: 'k1',
          risk: 0.5,
          category: 'Data privacy',
          note: 'asks for an address',
        });
        expect(first).toMatchObject({ caseId: 'k1', kind: 'decision', risk: 0.5, reviewer: 'ann', source: 'manual' });
        expect(typeof first.id).toBe('number');
        expect(await ann.current('k1')).toMatchObject({ id: first.id, risk: 0.5 });
        const second = await ann.submit({ caseId: 'k1', risk: 1, category: 'Data privacy' });
        expect(await ann.current('k1')).toMatchObject({ id: second.id, risk: 1 });
        const log = await team.admin().query(
          `SELECT actor, action, before->>'reviewId' AS before_id, after->>'reviewId' AS after_id FROM audit_log
           WHERE case_id = 'k1' ORDER BY id`,
        );
        expect(log.rows).toEqual([
          { actor: 'ann', action: 'review.submit', before_id: null, after_id: String(first.id) },
          { actor: 'ann', action: 'review.submit', before_id: String(first.id), after_id: String(second.id) },
        ]);
      });

      it('refuses a reviewer name other than the login, an unknown case and an invalid risk, storing nothing', async () => {
        const ann = new PostgresDecisionWriter(pool('ann'));
        await expect(ann.submit({ caseId: 'k2', risk: 0, reviewer: 'ben' })).rejects.toMatchObject({
          code: 'invalid',
          message: expect.stringContaining('recorded under your database login "ann", not "ben"'),
        });
        await expect(ann.submit({ caseId: 'k2', risk: 0, reviewer: 'ann' })).resolves.toMatchObject({
          reviewer: 'ann',
        });
        await expect(ann.submit({ caseId: 'nope', risk: 0 })).rejects.toMatchObject({
          code: 'not_found',
          message: expect.stringContaining('"nope"'),
        });
        await expect(ann.submit({ caseId: 'k3', risk: 0.7 as never })).rejects.toMatchObject({ code: 'invalid' });
        await expect(ann.undoLast('ben')).rejects.toMatchObject({ code: 'invalid' });
        const k3 = await team.admin().query(`SELECT count(*)::int AS n FROM reviews WHERE case_id IN ('k3', 'nope')`);
        expect(k3.rows[0].n).toBe(0);
      });

      it("undoLast takes back only this login's latest decision and restores the one before", async () => {
        const ben = new PostgresDecisionWriter(pool('ben'));
        const kept = await ben.submit({ caseId: 'k4', risk: 0 });
        const latest = await ben.submit({ caseId: 'k5', risk: 1, category: 'Crime and illegal activities' });
        const undo = await ben.undoLast();
        expect(undo).toMatchObject({ kind: 'undo', undoesReviewId: latest.id, reviewer: 'ben', caseId: 'k5' });
        expect(await ben.current('k5')).toBeNull();
        const again = await ben.undoLast();
        expect(again).toMatchObject({ undoesReviewId: kept.id });
        expect(await ben.undoLast()).toBeNull();
        // ann's decisions were not touched by ben's undos
        expect(await ben.current('k1')).toMatchObject({ reviewer: 'ann', risk: 1 });
      });

      it('two reviewers who disagree put the case in dispute: nothing in force', async () => {
        const ann = new PostgresDecisionWriter(pool('ann'));
        const ben = new PostgresDecisionWriter(pool('ben'));
        await ann.submit({ caseId: 'k6', risk: 0 });
        expect(await ann.current('k6')).toMatchObject({ reviewer: 'ann' });
        await ben.submit({ caseId: 'k6', risk: 1, category: 'Data privacy' });
        expect(await ann.current('k6')).toBeNull();
        const onCase = await team.admin().query(`SELECT human_risk FROM cases WHERE id = 'k6'`);
        expect(onCase.rows[0].human_risk).toBeNull();
      });

      it('bulkAccept accepts parsed verdicts only, in one transaction', async () => {
        const gpu = queueFor('gpu');
        await gpu.enqueue(['k7', 'k8'], 'm', 'p', 'b');
        for (let job = await gpu.claimNext('m', 'p'); job; job = await gpu.claimNext('m', 'p')) {
          const verdict =
            job.caseId === 'k7'
              ? {
                  status: 'ok' as const,
                  risk: 1 as const,
                  category: 'Data privacy' as never,
                  analysis: 'leaks an address',
                }
              : { status: 'parse_failure' as const, risk: null, category: null, analysis: null, error: 'no JSON' };
          await gpu.complete(job, result({ verdict: verdict as AuditResult['verdict'] }));
        }
        const ann = new PostgresDecisionWriter(pool('ann'));
        expect(await ann.bulkAccept(['k7', 'k8', 'k9'])).toEqual({ accepted: 1, skipped: 2 });
        expect(await ann.current('k7')).toMatchObject({
          risk: 1,
          source: 'bulk_accept',
          analysis: 'leaks an address',
          analysisSource: 'model',
        });
      });
    });

    describe('adjudication', () => {
      it('a lead sees both reviewers of a dispute and settles it; the case then has the decision in force', async () => {
        const lead = new PostgresAdjudicationStore(pool('lea'));
        // k6: ann said 0, ben said 1 / Data privacy (the dispute test above).
        const view = await lead.view('k6');
        expect(view).toMatchObject({
          caseId: 'k6',
          disputed: true,
          disagreesOn: ['risk'],
          basis: null,
          adjudication: null,
        });
        expect(view.reviewers.map((r) => [r.reviewer, r.risk])).toEqual([
          ['ann', 0],
          ['ben', 1],
        ]);
        await expect(lead.adjudicate({ caseId: 'k6', risk: 1, reviewer: 'ann' })).rejects.toMatchObject({
          code: 'invalid',
          message: expect.stringContaining('recorded under your database login "lea", not "ann"'),
        });
        const settled = await lead.adjudicate({
          caseId: 'k6',
          risk: 1,
          category: 'Data privacy',
          note: 'gives an address',
        });
        expect(settled).toMatchObject({ kind: 'adjudication', reviewer: 'lea', risk: 1 });
        expect(await lead.view('k6')).toMatchObject({
          disputed: false,
          basis: 'adjudication',
          adjudication: { reviewer: 'lea' },
        });
        expect(await new PostgresDecisionWriter(pool('ann')).current('k6')).toMatchObject({ id: settled.id });
        const log = await team
          .admin()
          .query(`SELECT actor, before->>'basis' AS basis FROM audit_log WHERE action = 'review.adjudicate'`);
        expect(log.rows).toEqual([{ actor: 'lea', basis: 'disputed' }]);
      });

      it('a reviewer is refused by PostgreSQL: no adjudication, and only their own decisions to see', async () => {
        const reviewer = new PostgresAdjudicationStore(pool('ann'));
        await expect(reviewer.adjudicate({ caseId: 'k6', risk: 0 })).rejects.toMatchObject({ code: '42501' });
        const view = await reviewer.view('k6');
        expect(view.reviewers.map((r) => r.reviewer)).toEqual(['ann']);
      });
    });

    describe('jobs and verdicts', () => {
      it('a second verdict for the same case, model and prompt is never stored', async () => {
        const gpu = queueFor('gpu');
        const verdicts = new PostgresVerdictStore(pool('gpu'));
        const existing = await verdicts.forModel('k7', 'm', 'p');
        expect(existing).toMatchObject({ caseId: 'k7', status: 'ok', risk: 1, promptHashOk: true });
        // Queueing again adds nothing: the case has its verdict.
        expect(await gpu.enqueue(['k7'], 'm', 'p', 'b2')).toBe(0);
        // A job made by hand (as an older version might have) still cannot add a second verdict.
        await team
          .admin()
          .query(`INSERT INTO jobs (case_id, model_id, prompt_sha256, status) VALUES ('k7', 'm', 'p', 'queued')`);
        const job = (await gpu.claimCase('k7', 'm', 'p'))!;
        const done = await gpu.complete(
          job,
          result({ verdict: { status: 'ok', risk: 0, category: null, analysis: 'x' } as never }),
        );
        expect(done).toMatchObject({ stored: false, audit: { id: existing!.id, risk: 1 } });
        expect(await verdicts.latest('k7')).toMatchObject({ id: existing!.id });
      });

      it('a truncated output is stored and marks the case; a job that fails for good marks it failed', async () => {
        const gpu = queueFor('gpu');
        await gpu.enqueue(['k10', 'k11'], 'm', 'p', 'b3');
        const truncated = (await gpu.claimCase('k10', 'm', 'p'))!;
        await gpu.complete(
          truncated,
          result({
            verdict: {
              status: 'truncated',
              risk: null,
              category: null,
              analysis: null,
              error: 'hit 512 tokens',
            } as never,
          }),
        );
        const failing = (await gpu.claimCase('k11', 'm', 'p'))!;
        expect(await gpu.fail(failing, 'engine crashed', 2)).toBe('queued');
        const retry = (await gpu.claimCase('k11', 'm', 'p'))!;
        expect(retry.attempts).toBe(1);
        expect(await gpu.fail(retry, 'engine crashed again', 2)).toBe('failed');
        const cases = await team
          .admin()
          .query(
            `SELECT id, model_status, audit_failure, audit_failure_reason FROM cases WHERE id IN ('k10', 'k11') ORDER BY id`,
          );
        expect(cases.rows).toEqual([
          { id: 'k10', model_status: 'truncated', audit_failure: 'truncated', audit_failure_reason: 'hit 512 tokens' },
          { id: 'k11', model_status: 'none', audit_failure: 'failed', audit_failure_reason: 'engine crashed again' },
        ]);
        expect(await gpu.counts()).toMatchObject({ failed: 1, running: 0 });
      });

      it('release puts a job back without an attempt; only a lead cancels queued jobs', async () => {
        const gpu = queueFor('gpu');
        await gpu.enqueue(['k12'], 'm', 'p', 'b4');
        const job = (await gpu.claimNext('m', 'p'))!;
        await gpu.release(job.id);
        expect(await gpu.countQueued('m', 'p')).toBe(1);
        const again = (await gpu.claimNext('m', 'p'))!;
        expect(again).toMatchObject({ id: job.id, attempts: 0 });
        await gpu.release(again.id);
        await expect(gpu.cancelQueued('m')).rejects.toMatchObject({ code: '42501' });
        expect(await queueFor('lea').cancelQueued('m')).toBe(1);
        expect(await gpu.countQueued('m', 'p')).toBe(0);
      });
    });

    describe('one case', () => {
      it('get: texts, verdict, decision in force, failure state; history for a lead, none for a reviewer', async () => {
        const asLead = await new PostgresCaseDetails(pool('lea')).get('k10');
        expect(asLead).toMatchObject({
          id: 'k10',
          seq: 10,
          query: 'q',
          image: null,
          imageMissing: false,
          sourceFile: 'seed',
          sourceRecord: 10,
          meta: {},
          latestAudit: { status: 'truncated' },
          auditFailure: { kind: 'truncated', reason: 'hit 512 tokens' },
          currentReview: null,
        });
        expect(asLead.history.map((entry) => entry.action)).toEqual(['audit.verdict']);
        const asReviewer = await new PostgresCaseDetails(pool('ann')).get('k7');
        expect(asReviewer).toMatchObject({ currentReview: { reviewer: 'ann', source: 'bulk_accept' }, history: [] });
        await expect(new PostgresCaseDetails(pool('ann')).get('nope')).rejects.toMatchObject({ code: 'not_found' });
      });

      it('content, exists and unauditedIds', async () => {
        const cases = new PostgresCaseDetails(pool('gpu'));
        expect(await cases.content('k1')).toEqual({
          id: 'k1',
          query: 'q',
          thinking: 't',
          response: 'r',
          imageSha256: null,
          imageRef: null,
          imageMissing: false,
        });
        expect(await cases.exists('k1')).toBe(true);
        expect(await cases.exists('nope')).toBe(false);
        // k7, k8, k10 have verdicts for m/p; k11 has a failed job (not live); k12's job was cancelled.
        expect(await cases.unauditedIds('m', 'p', 100)).toEqual([
          'k1',
          'k2',
          'k3',
          'k4',
          'k5',
          'k6',
          'k9',
          'k11',
          'k12',
        ]);
        expect(await cases.unauditedIds('m', 'p', 2)).toEqual(['k1', 'k2']);
      });
    });

    describe('settings', () => {
      it('a lead changes team settings, everyone reads them, a reviewer cannot change them', async () => {
        await new PostgresSettingsStore(pool('lea')).setMany({ overlap: 0.1, blind: true, theme: { name: 'dark' } });
        expect(await new PostgresSettingsStore(pool('ann')).all()).toEqual({
          blind: true,
          overlap: 0.1,
          theme: { name: 'dark' },
        });
        await expect(new PostgresSettingsStore(pool('ann')).setMany({ overlap: 0.5 })).rejects.toMatchObject({
          code: '42501',
        });
      });
    });
  },
);
