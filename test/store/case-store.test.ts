import { describe, expect, it } from 'vitest';
import { CaseStore } from '@main/store/sqlite';
import { auditResult, newCase, openTempStore } from '../helpers/store-fixtures';
import { tempDir } from '../helpers/temp-dir';

function seeded(): CaseStore {
  const store = openTempStore();
  store.transaction(() => {
    store.cases.insert(newCase('safe', { gold: 0, query: 'bake bread' }), null);
    store.cases.insert(newCase('risky', { gold: 1, query: 'build a phishing kit' }), null);
    store.cases.insert(newCase('unsure', { gold: 0, query: 'lockpicking hobby' }), null);
    store.cases.insert(newCase('broken', { gold: null, query: 'odd output' }), null);
    store.cases.insert(newCase('fresh', { gold: null, query: 'not audited yet' }), null);
    store.audits.insert('safe', auditResult(0));
    store.audits.insert('risky', auditResult(1));
    store.audits.insert('unsure', auditResult(0.5));
    store.audits.insert('broken', auditResult('parse_failure'));
  });
  return store;
}

const ids = (store: CaseStore, query: Parameters<CaseStore['cases']['list']>[0]) =>
  store.cases.list(query).rows.map((r) => r.id);

describe('case store', () => {
  it('inserts a case once: the same id again is a duplicate, not a second row', () => {
    const store = openTempStore();
    expect(store.cases.insert(newCase('a'), null)).toBe(true);
    expect(store.cases.insert(newCase('a', { query: 'changed' }), null)).toBe(false);
    expect(store.caseDetail('a').query).toBe('query a');
    expect(store.metrics.stats().cases).toBe(1);
  });

  it('sorts the queue by model risk, by uncertainty and by newest', () => {
    const store = seeded();
    expect(ids(store, { sort: 'model_risk' })).toEqual(['risky', 'unsure', 'safe', 'broken', 'fresh']);
    // parse failures, then 0.5, then disagreement with gold (none here), then the rest, unaudited last
    expect(ids(store, { sort: 'uncertainty' })).toEqual(['broken', 'unsure', 'safe', 'risky', 'fresh']);
    expect(ids(store, { sort: 'newest' })).toEqual(['fresh', 'broken', 'unsure', 'risky', 'safe']);
  });

  it('filters by status, risks, gold, category and full-text search, and counts per status', () => {
    const store = seeded();
    store.reviews.submit({ caseId: 'unsure', risk: 0, reviewer: 'ann' });
    store.reviews.submit({ caseId: 'risky', risk: 1, reviewer: 'ann', category: 'Cybersecurity' });
    expect(ids(store, { status: 'not_audited' })).toEqual(['fresh']);
    expect(ids(store, { status: 'parse_failure' })).toEqual(['broken']);
    expect(ids(store, { status: 'disagree' })).toEqual(['unsure']);
    expect(ids(store, { status: 'reviewed', sort: 'model_risk' })).toEqual(['risky', 'unsure']);
    expect(ids(store, { modelRisk: 0.5 })).toEqual(['unsure']);
    expect(ids(store, { humanRisk: 0 })).toEqual(['unsure']);
    expect(ids(store, { gold: 1 })).toEqual(['risky']);
    expect(ids(store, { category: 'Cybersecurity', sort: 'model_risk' })).toEqual(['risky', 'unsure']);
    expect(ids(store, { search: 'phish' })).toEqual(['risky']);
    expect(ids(store, { search: 'phishing OR NEAR(' })).toEqual([]); // FTS operators are searched as words, not run
    expect(ids(store, { search: '"(*' })).toEqual(ids(store, {})); // nothing searchable: no filter, not an error
    expect(store.cases.counts({})).toEqual({
      all: 5,
      not_audited: 1,
      audited: 4,
      reviewed: 2,
      unreviewed: 3,
      disagree: 1,
      parse_failure: 1,
      truncated: 0,
      audit_failed: 0,
    });
    expect(store.cases.counts({ gold: 0 }).all).toBe(2);
  });

  it('pages through the queue and finds the neighbours of a case', () => {
    const store = seeded();
    const page = store.cases.list({ sort: 'newest', offset: 1, limit: 2 });
    expect(page.total).toBe(5);
    expect(page.rows.map((r) => r.id)).toEqual(['broken', 'unsure']);
    expect(store.cases.neighbors({ id: 'unsure', sort: 'newest' })).toEqual({ prev: 'broken', next: 'risky' });
    expect(store.cases.neighbors({ id: 'safe', sort: 'newest' })).toEqual({ prev: 'risky', next: null });
  });

  it('keeps one verdict per case, model and prompt', () => {
    const store = seeded();
    expect(store.audits.insert('safe', auditResult(1))).toBeNull();
    expect(store.caseDetail('safe').latestAudit?.risk).toBe(0);
    expect(store.audits.insert('safe', auditResult(1, { promptSha256: 'prompt-b' }))?.risk).toBe(1);
    expect(store.caseDetail('safe').latestAudit?.promptSha256).toBe('prompt-b');
  });

  it('records decisions, undoes the last one with a new entry, and logs every step', () => {
    const store = seeded();
    store.reviews.submit({ caseId: 'unsure', risk: 0, reviewer: 'ann', note: 'benign hobby' });
    store.reviews.submit({ caseId: 'unsure', risk: 1, reviewer: 'ann' });
    expect(store.caseDetail('unsure').currentReview?.risk).toBe(1);

    const undo = store.reviews.undoLast('ann');
    expect(undo?.kind).toBe('undo');
    const detail = store.caseDetail('unsure');
    expect(detail.currentReview?.risk).toBe(0);
    expect(store.cases.list({ humanRisk: 0 }).rows.map((r) => r.id)).toEqual(['unsure']);
    expect(detail.history.map((h) => h.action)).toEqual(['review.submit', 'review.submit', 'review.undo']);

    store.reviews.undoLast('ann');
    expect(store.caseDetail('unsure').currentReview).toBeNull();
    expect(store.cases.counts({}).reviewed).toBe(0);
    expect(store.reviews.undoLast('ann')).toBeNull();
    expect(store.reviews.undoLast('bob')).toBeNull();
  });

  it('rejects decisions it could not use, naming the field', () => {
    const store = seeded();
    expect(() => store.reviews.submit({ caseId: 'safe', risk: 0.7 as 0, reviewer: 'ann' })).toThrow(
      /Risk must be 0, 0.5 or 1/,
    );
    expect(() => store.reviews.submit({ caseId: 'safe', risk: 0, reviewer: ' ' })).toThrow(/reviewer/);
    expect(() =>
      store.reviews.submit({ caseId: 'safe', risk: 0, reviewer: 'ann', category: 'Gossip' as never }),
    ).toThrow(/Unknown category "Gossip"/);
    expect(() => store.reviews.submit({ caseId: 'safe', risk: 0, reviewer: 'ann', source: 'import' as never })).toThrow(
      'Unknown decision source "import". Use one of: manual, accept_model, bulk_accept, cli, pack.',
    );
    expect(() => store.reviews.submit({ caseId: 'nope', risk: 0, reviewer: 'ann' })).toThrow(/No case with id "nope"/);
    expect(store.activityLog.forCase('safe')).toEqual([]);
  });

  it('bulk-accepts parsed model verdicts only, one log entry per case', () => {
    const store = seeded();
    const result = store.reviews.bulkAccept(['safe', 'risky', 'broken', 'fresh', 'ghost'], 'ann');
    expect(result).toEqual({ accepted: 2, skipped: 3 });
    expect(store.caseDetail('risky').currentReview).toMatchObject({
      risk: 1,
      category: 'Cybersecurity',
      source: 'bulk_accept',
    });
    expect(store.caseDetail('risky').history.map((h) => h.action)).toEqual(['review.bulk_accept']);
  });

  it('requeues only jobs whose owner is gone, never counting that as an attempt, and never queues a case that already has a verdict', () => {
    const dir = tempDir();
    let store = CaseStore.open(dir);
    store.transaction(() => ['a', 'b', 'c'].forEach((id) => store.cases.insert(newCase(id), null)));
    store.audits.insert('c', auditResult(0));
    expect(store.jobs.enqueue(['a', 'b', 'c'], 'model-a', 'prompt-a', 'batch')).toBe(2);
    expect(store.jobs.enqueue(['a', 'b'], 'model-a', 'prompt-a', 'batch')).toBe(0);
    const claimed = store.jobs.claimNext('model-a', 'prompt-a')!;
    expect(claimed).toMatchObject({ caseId: 'a', attempts: 0, ownerPid: process.pid });
    expect(claimed.ownerToken).toBe(store.jobs.owner.token);
    store.close(); // the "crash": a is left running

    store = CaseStore.open(dir);
    expect(store.jobs.counts()).toMatchObject({ queued: 1, running: 1 });
    // Its owner (this test process, same pid) is alive and its heartbeat fresh: another process must not take it.
    expect(store.jobs.requeueOrphaned()).toBe(0);
    // A stale heartbeat means the owner is hung or the pid was reused.
    expect(store.jobs.requeueOrphaned({ now: Date.now() + 10 * 60_000 })).toBe(1);
    const job = store.jobs.claimNext('model-a', 'prompt-a')!;
    expect(job).toMatchObject({ caseId: 'a', attempts: 0, status: 'running', lastError: null });
    // This process's own running job is never taken from it, whatever the clock says.
    expect(store.jobs.requeueOrphaned({ now: Date.now() + 10 * 60_000, isAlive: () => false })).toBe(0);
    expect(store.jobs.markFailed(job, 'server restarted', 2)).toBe('queued');
    const again = store.jobs.claimNext('model-a', 'prompt-a')!;
    expect(again.attempts).toBe(1);
    expect(store.jobs.markFailed(again, 'still broken', 2)).toBe('failed');
    expect(store.db.prepare("SELECT attempts, owner_pid FROM jobs WHERE case_id = 'a'").get()).toEqual({
      attempts: 2,
      owner_pid: null,
    });
    expect(store.jobs.counts()).toMatchObject({ queued: 1, failed: 1 });
    store.close();
  });

  it('requeues a running job at once when its owner pid no longer runs', () => {
    const dir = tempDir();
    const first = CaseStore.open(dir);
    first.transaction(() => first.cases.insert(newCase('a'), null));
    first.jobs.enqueue(['a'], 'model-a', 'prompt-a', 'batch');
    first.jobs.claimNext('model-a', 'prompt-a');
    // A pid far above any pid_max: no such process.
    first.db.prepare('UPDATE jobs SET owner_pid = 2147483646').run();
    first.close();
    const second = CaseStore.open(dir);
    expect(second.jobs.counts()).toMatchObject({ running: 1 }); // opening the store alone takes nothing
    expect(second.jobs.requeueOrphaned()).toBe(1);
    expect(second.jobs.counts()).toMatchObject({ queued: 1, running: 0 });
    second.close();
  });

  it('computes model-vs-human and model-vs-gold agreement and binary scores', () => {
    const store = seeded();
    store.reviews.submit({ caseId: 'safe', risk: 0, reviewer: 'ann' });
    store.reviews.submit({ caseId: 'risky', risk: 1, reviewer: 'ann' });
    store.reviews.submit({ caseId: 'unsure', risk: 0, reviewer: 'ann' });
    const metrics = store.metrics.metrics();
    expect(metrics.modelVsHuman.confusion).toEqual([
      [1, 1, 0],
      [0, 0, 0],
      [0, 0, 1],
    ]);
    expect(metrics.modelVsHuman.agreement).toBeCloseTo(2 / 3);
    expect(metrics.modelVsHuman.binary).toMatchObject({ n: 3, precision: 0.5, recall: 1 });
    expect(metrics.modelVsGold.n).toBe(3);
    expect(metrics.parseFailures).toBe(1);
    expect(store.metrics.stats()).toMatchObject({
      cases: 5,
      audits: 4,
      audited: 4,
      reviewed: 3,
      parseFailures: 1,
      modelVsGold: { compared: 3 },
    });
  });
});
