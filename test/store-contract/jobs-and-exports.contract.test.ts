// The audit job queue (leases, heartbeats, orphans, attempts) and export paging, once per engine (engines.ts).
import { afterEach, describe, expect, it } from 'vitest';
import type { ExportRecord, Store } from '@main/store/contract';
import { auditResult, newCase, recordVerdicts } from '../helpers/store-fixtures';
import { engines, type EngineFactory } from './engines';
import { addCases, seeded } from './seed';

describe.each(engines())('store contract on %s', (_name, engine: EngineFactory) => {
  const reason = engine.unavailable();
  const open: Store[] = [];
  const track = (store: Store) => (open.push(store), store);
  afterEach(async () => {
    for (const store of open.splice(0).reverse()) await store.close();
  });

  describe.skipIf(reason !== null)(`jobs and leases${reason ? ` (skipped: ${reason})` : ''}`, () => {
    it("queues only cases without a verdict, claims under a lease, and never takes a live holder's job", async () => {
      const store = track(await engine.open());
      await addCases(
        store,
        ['a', 'b', 'c'].map((id) => newCase(id)),
      );
      await recordVerdicts(store, [{ caseId: 'c', result: auditResult(0) }]);
      expect(await store.jobs.enqueue(['a', 'b', 'c'], 'model-a', 'prompt-a', 'batch')).toBe(2);
      expect(await store.jobs.enqueue(['a', 'b'], 'model-a', 'prompt-a', 'batch')).toBe(0);
      expect(await store.jobs.countQueued('model-a', 'prompt-a')).toBe(2);
      const claimed = (await store.jobs.claimNext('model-a', 'prompt-a'))!;
      expect(claimed).toMatchObject({
        caseId: 'a',
        attempts: 0,
        status: 'running',
        ownerToken: store.jobs.owner.token,
      });
      expect(await store.jobs.heartbeat()).toBe(1);

      // Another connection: the holder is alive and its heartbeat fresh, so nothing is taken from it.
      const other = track(await engine.openAgain(store));
      expect(other.jobs.owner.token).not.toBe(store.jobs.owner.token);
      expect(await other.jobs.requeueOrphaned()).toBe(0);
      expect((await other.jobs.claimNext('model-a', 'prompt-a'))?.caseId).toBe('b');
      expect(await other.jobs.claimNext('model-a', 'prompt-a')).toBeNull();
      // A lease with no heartbeat for longer than the limit goes back, without counting an attempt; a store's own
      // running job is never taken from it, whatever the clock says.
      expect(await store.jobs.requeueOrphaned({ now: Date.now() + 10 * 60_000, isAlive: () => false })).toBe(1);
      expect(await store.jobs.counts()).toMatchObject({ queued: 1, running: 1 });
      expect(await other.jobs.requeueOrphaned({ now: Date.now() + 10 * 60_000 })).toBe(1);
      expect(await store.jobs.counts()).toMatchObject({ queued: 2, running: 0 });
    });

    it('counts real failures as attempts, fails a job for good at the limit and marks its case', async () => {
      const store = track(await engine.open());
      await addCases(store, [newCase('a'), newCase('b')]);
      await store.jobs.enqueue(['a', 'b'], 'model-a', 'prompt-a', 'batch');
      const first = (await store.jobs.claimNext('model-a', 'prompt-a'))!;
      expect(await store.jobs.fail(first, 'server restarted', 2)).toBe('queued');
      expect((await store.cases.get('a')).auditFailure).toBeNull();
      const again = (await store.jobs.claimNext('model-a', 'prompt-a'))!;
      expect(again).toMatchObject({ caseId: 'a', attempts: 1, lastError: 'server restarted' });
      expect(await store.jobs.fail(again, 'still broken', 2)).toBe('failed');
      expect((await store.cases.get('a')).auditFailure).toMatchObject({ kind: 'failed', reason: 'still broken' });
      expect((await store.cases.counts({})).audit_failed).toBe(1);
      // A paused job goes back untouched.
      const paused = (await store.jobs.claimNext('model-a', 'prompt-a'))!;
      await store.jobs.release(paused.id);
      expect((await store.jobs.claimCase('b', 'model-a', 'prompt-a'))?.caseId).toBe('b');
      expect(await store.jobs.counts()).toMatchObject({ failed: 1, running: 1, queued: 0 });
      expect(await store.jobs.cancelQueued()).toBe(0);
    });

    it('completes a job once: the verdict, the case state and the log entry; a redone job stores nothing twice', async () => {
      const store = track(await engine.open());
      await addCases(store, [newCase('a')]);
      await store.jobs.enqueue(['a'], 'model-a', 'prompt-a', 'batch');
      const job = (await store.jobs.claimNext('model-a', 'prompt-a'))!;
      const truncated = await store.jobs.complete(job, auditResult('truncated'));
      expect(truncated).toMatchObject({ stored: true, audit: { status: 'truncated' } });
      expect((await store.cases.get('a')).auditFailure).toMatchObject({ kind: 'truncated' });
      const again = await store.jobs.complete(job, auditResult(1));
      expect(again).toMatchObject({ stored: false, audit: { id: truncated.audit!.id, status: 'truncated' } });
      const detail = await store.cases.get('a');
      expect(detail.history.filter((h) => h.action === 'audit.verdict')).toHaveLength(1);
      expect((await store.metrics.stats()).audits).toBe(1);
      expect(await store.jobs.counts()).toMatchObject({ done: 1, running: 0 });
    });
  });

  describe.skipIf(reason !== null)('export paging', () => {
    const pagesOf = async (store: Store, only: 'all' | 'reviewed' | 'disagreements') => {
      const rows: ExportRecord[] = [];
      await store.exports.forEachPage(only, (page) => {
        rows.push(...page);
      });
      return rows;
    };

    it('each selection is the queue filter of the same meaning, in seq order, with verdict and decision in force', async () => {
      const store = track(await seeded(await engine.open()));
      await store.decisions.submit({ caseId: 'unsure', risk: 0, reviewer: 'ann', note: 'hobby' });
      await store.decisions.submit({ caseId: 'risky', risk: 1, category: 'Cybersecurity', reviewer: 'ann' });
      expect((await pagesOf(store, 'all')).map((r) => r.id)).toEqual(['safe', 'risky', 'unsure', 'broken', 'fresh']);
      expect((await pagesOf(store, 'reviewed')).map((r) => r.id)).toEqual(['risky', 'unsure']);
      expect((await pagesOf(store, 'disagreements')).map((r) => r.id)).toEqual(['unsure']);
      const [unsure] = await pagesOf(store, 'disagreements');
      expect(unsure).toMatchObject({
        model_status: 'ok',
        model_risk: 0.5,
        human_risk: 0,
        human_note: 'hobby',
        human_reviewer: 'ann',
        human_basis: 'single_reviewer',
        gold: 0,
      });
      const fresh = (await pagesOf(store, 'all')).find((r) => r.id === 'fresh')!;
      expect(fresh).toMatchObject({ model_status: null, human_risk: null, human_basis: null });
    });
  });
});
