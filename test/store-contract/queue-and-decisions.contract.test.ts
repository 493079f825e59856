// The store contract's behaviour, run once per engine (engines.ts). Moved here from test/store/case-store.test.ts
// and test/team/decision-in-force.test.ts, rewritten against the asynchronous contract.
import { afterEach, describe, expect, it } from 'vitest';
import type { QueueQuery } from '@domain/cases';
import type { Store } from '@main/store/contract';
import { auditResult, newCase, recordVerdicts } from '../helpers/store-fixtures';
import { engines, type EngineFactory } from './engines';
import { addCases, seeded } from './seed';

describe.each(engines())('store contract on %s', (_name, engine: EngineFactory) => {
  const reason = engine.unavailable();
  const open: Store[] = [];
  const fresh = async () => {
    const store = await engine.open();
    open.push(store);
    return store;
  };
  const ids = async (store: Store, query: QueueQuery) => (await store.cases.list(query)).rows.map((r) => r.id);
  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
  });

  describe.skipIf(reason !== null)(`cases and the queue${reason ? ` (skipped: ${reason})` : ''}`, () => {
    it('inserts a case once: the same id again is a duplicate, not a second row', async () => {
      const store = await fresh();
      await addCases(store, [newCase('a')]);
      await addCases(store, [newCase('a', { query: 'changed' })]);
      expect((await store.cases.get('a')).query).toBe('query a');
      expect((await store.metrics.stats()).cases).toBe(1);
      expect(await store.cases.exists('a')).toBe(true);
      expect(await store.cases.exists('b')).toBe(false);
      await expect(store.cases.get('b')).rejects.toMatchObject({ code: 'not_found' });
    });

    it('sorts the queue by model risk, by uncertainty and by newest', async () => {
      const store = await seeded(await fresh());
      expect(await ids(store, { sort: 'model_risk' })).toEqual(['risky', 'unsure', 'safe', 'broken', 'fresh']);
      // parse failures, then 0.5, then disagreement with gold (none here), then the rest, unaudited last
      expect(await ids(store, { sort: 'uncertainty' })).toEqual(['broken', 'unsure', 'safe', 'risky', 'fresh']);
      expect(await ids(store, { sort: 'newest' })).toEqual(['fresh', 'broken', 'unsure', 'risky', 'safe']);
    });

    it('filters by status, risks, gold, category and full-text search, and counts per status', async () => {
      const store = await seeded(await fresh());
      await store.decisions.submit({ caseId: 'unsure', risk: 0, reviewer: 'ann' });
      await store.decisions.submit({ caseId: 'risky', risk: 1, reviewer: 'ann', category: 'Cybersecurity' });
      expect(await ids(store, { status: 'not_audited' })).toEqual(['fresh']);
      expect(await ids(store, { status: 'parse_failure' })).toEqual(['broken']);
      expect(await ids(store, { status: 'disagree' })).toEqual(['unsure']);
      expect(await ids(store, { status: 'reviewed', sort: 'model_risk' })).toEqual(['risky', 'unsure']);
      expect(await ids(store, { modelRisk: 0.5 })).toEqual(['unsure']);
      expect(await ids(store, { humanRisk: 0 })).toEqual(['unsure']);
      expect(await ids(store, { gold: 1 })).toEqual(['risky']);
      expect(await ids(store, { category: 'Cybersecurity', sort: 'model_risk' })).toEqual(['risky', 'unsure']);
      expect(await ids(store, { search: 'phish' })).toEqual(['risky']);
      expect(await ids(store, { search: 'phishing OR NEAR(' })).toEqual([]); // operators are words, not run
      expect(await ids(store, { search: '"(*' })).toEqual(await ids(store, {})); // nothing searchable: no filter
      expect(await store.cases.counts({})).toEqual({
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
      expect((await store.cases.counts({ gold: 0 })).all).toBe(2);
    });

    it('pages through the queue and finds the neighbours of a case', async () => {
      const store = await seeded(await fresh());
      const page = await store.cases.list({ sort: 'newest', offset: 1, limit: 2 });
      expect(page.total).toBe(5);
      expect(page.rows.map((r) => r.id)).toEqual(['broken', 'unsure']);
      expect(await store.cases.neighbors({ id: 'unsure', sort: 'newest' })).toEqual({ prev: 'broken', next: 'risky' });
      expect(await store.cases.neighbors({ id: 'safe', sort: 'newest' })).toEqual({ prev: 'risky', next: null });
    });

    it('keeps one verdict per case, model and prompt', async () => {
      const store = await seeded(await fresh());
      await recordVerdicts(store, [{ caseId: 'safe', result: auditResult(1) }]);
      expect((await store.cases.get('safe')).latestAudit?.risk).toBe(0);
      await recordVerdicts(store, [{ caseId: 'safe', result: auditResult(1, { promptSha256: 'prompt-b' }) }]);
      expect((await store.cases.get('safe')).latestAudit).toMatchObject({ risk: 1, promptSha256: 'prompt-b' });
      expect((await store.verdicts.latest('safe'))?.promptSha256).toBe('prompt-b');
      expect((await store.verdicts.forModel('safe', 'model-a', 'prompt-a'))?.risk).toBe(0);
    });

    it('refuses a schema written by a newer version, with a message that says so', async () => {
      await expect(engine.openNewerSchema()).rejects.toMatchObject({
        code: 'schema_too_new',
        message: expect.stringMatching(/newer/i),
      });
    });
  });

  describe.skipIf(reason !== null)('decisions, undo and adjudication', () => {
    it('records decisions, undoes the last one with a new entry, and logs every step', async () => {
      const store = await seeded(await fresh());
      await store.decisions.submit({ caseId: 'unsure', risk: 0, reviewer: 'ann', note: 'benign hobby' });
      await store.decisions.submit({ caseId: 'unsure', risk: 1, reviewer: 'ann' });
      expect((await store.cases.get('unsure')).currentReview?.risk).toBe(1);

      const undo = await store.decisions.undoLast('ann');
      expect(undo?.kind).toBe('undo');
      const detail = await store.cases.get('unsure');
      expect(detail.currentReview?.risk).toBe(0);
      expect(await ids(store, { humanRisk: 0 })).toEqual(['unsure']);
      expect(detail.history.map((h) => h.action)).toEqual([
        'audit.verdict',
        'review.submit',
        'review.submit',
        'review.undo',
      ]);

      await store.decisions.undoLast('ann');
      expect((await store.cases.get('unsure')).currentReview).toBeNull();
      expect((await store.cases.counts({})).reviewed).toBe(0);
      expect(await store.decisions.undoLast('ann')).toBeNull();
      expect(await store.decisions.undoLast('bob')).toBeNull();
    });

    it('rejects decisions it could not use, naming the field, and writes nothing', async () => {
      const store = await seeded(await fresh());
      await expect(store.decisions.submit({ caseId: 'safe', risk: 0.7 as 0, reviewer: 'ann' })).rejects.toThrow(
        /Risk must be 0, 0.5 or 1/,
      );
      await expect(
        store.decisions.submit({ caseId: 'safe', risk: 0, reviewer: 'ann', category: 'Gossip' as never }),
      ).rejects.toThrow(/Unknown category "Gossip"/);
      await expect(
        store.decisions.submit({ caseId: 'safe', risk: 0, reviewer: 'ann', source: 'import' as never }),
      ).rejects.toThrow('Unknown decision source "import". Use one of: manual, accept_model, bulk_accept, cli, pack.');
      await expect(store.decisions.submit({ caseId: 'nope', risk: 0, reviewer: 'ann' })).rejects.toThrow(
        /No case with id "nope"/,
      );
      expect((await store.cases.get('safe')).history.map((h) => h.action)).toEqual(['audit.verdict']);
    });

    it('bulk-accepts parsed model verdicts only, one log entry per case', async () => {
      const store = await seeded(await fresh());
      const result = await store.decisions.bulkAccept(['safe', 'risky', 'broken', 'fresh', 'ghost'], 'ann');
      expect(result).toEqual({ accepted: 2, skipped: 3 });
      const risky = await store.cases.get('risky');
      expect(risky.currentReview).toMatchObject({ risk: 1, category: 'Cybersecurity', source: 'bulk_accept' });
      expect(risky.history.map((h) => h.action)).toEqual(['audit.verdict', 'review.bulk_accept']);
    });

    it('agreeing reviewers keep a decision in force; a disagreement clears it until adjudicated', async () => {
      const store = await fresh();
      await addCases(store, [newCase('a'), newCase('b')]);
      await store.decisions.submit({ caseId: 'a', risk: 1, category: 'Cybersecurity', reviewer: 'ann' });
      expect(await store.adjudication.view('a')).toMatchObject({ basis: 'single_reviewer', disputed: false });
      await store.decisions.submit({ caseId: 'a', risk: 1, category: 'Cybersecurity', reviewer: 'bob' });
      expect(await store.adjudication.view('a')).toMatchObject({ basis: 'agreeing_reviewers' });
      expect((await store.cases.get('a')).currentReview).toMatchObject({ reviewer: 'bob', risk: 1 });

      // Same risk, other category on a harmful verdict: a dispute.
      await store.decisions.submit({ caseId: 'a', risk: 1, category: 'Hate speech', reviewer: 'bob' });
      expect(await store.adjudication.view('a')).toMatchObject({
        disputed: true,
        disagreesOn: ['category'],
        basis: null,
      });
      expect(await store.decisions.current('a')).toBeNull();
      expect(await ids(store, { disputed: true })).toEqual(['a']);
      expect((await store.cases.counts({})).reviewed).toBe(0);

      // bob takes it back: his earlier decision agrees with ann again.
      await store.decisions.undoLast('bob');
      expect(await store.adjudication.view('a')).toMatchObject({ disputed: false, basis: 'agreeing_reviewers' });

      // A risk dispute, settled by an adjudication, which can itself be taken back.
      await store.decisions.submit({ caseId: 'a', risk: 0, reviewer: 'bob' });
      expect((await store.adjudication.view('a')).disagreesOn).toEqual(['risk']);
      await store.adjudication.adjudicate({
        caseId: 'a',
        risk: 0.5,
        category: 'Cybersecurity',
        reviewer: 'lea',
        note: 'n',
      });
      expect((await store.cases.get('a')).currentReview).toMatchObject({ kind: 'adjudication', risk: 0.5 });
      expect(await ids(store, { humanRisk: 0.5 })).toEqual(['a']);
      expect((await store.metrics.teamAgreement()).disputed).toBe(0);
      expect((await store.decisions.undoLast('lea'))?.kind).toBe('undo');
      expect((await store.adjudication.view('a')).disputed).toBe(true);
      expect((await store.cases.get('a')).history.map((h) => h.action)).toContain('review.adjudicate');
    });

    it('safe verdicts agree whatever category each reviewer left', async () => {
      const store = await fresh();
      await addCases(store, [newCase('b')]);
      await store.decisions.submit({ caseId: 'b', risk: 0, reviewer: 'ann' });
      await store.decisions.submit({ caseId: 'b', risk: 0, category: 'Other risks', reviewer: 'bob' });
      expect(await store.adjudication.view('b')).toMatchObject({ disputed: false, basis: 'agreeing_reviewers' });
    });

    it('refuses an adjudication it could not use, naming the field', async () => {
      const store = await fresh();
      await addCases(store, [newCase('a')]);
      await expect(store.adjudication.adjudicate({ caseId: 'a', risk: 0.7 as 0, reviewer: 'lea' })).rejects.toThrow(
        /Risk must be/,
      );
      await expect(store.adjudication.adjudicate({ caseId: 'zz', risk: 0, reviewer: 'lea' })).rejects.toThrow(
        /No case with id "zz"/,
      );
    });

    it('takes the reviewer from the workspace identity when a write names none', async () => {
      const store = await seeded(await fresh());
      await store.settings.setMany({ reviewer: 'dana' });
      expect(await store.decisions.submit({ caseId: 'safe', risk: 0 })).toMatchObject({ reviewer: 'dana' });
      expect(await store.decisions.undoLast()).toMatchObject({ reviewer: 'dana', kind: 'undo' });
    });

    it('computes model-vs-human and model-vs-gold agreement and binary scores', async () => {
      const store = await seeded(await fresh());
      await store.decisions.submit({ caseId: 'safe', risk: 0, reviewer: 'ann' });
      await store.decisions.submit({ caseId: 'risky', risk: 1, reviewer: 'ann' });
      await store.decisions.submit({ caseId: 'unsure', risk: 0, reviewer: 'ann' });
      const metrics = await store.metrics.metrics();
      expect(metrics.modelVsHuman.confusion).toEqual([
        [1, 1, 0],
        [0, 0, 0],
        [0, 0, 1],
      ]);
      expect(metrics.modelVsHuman.agreement).toBeCloseTo(2 / 3);
      expect(metrics.modelVsHuman.binary).toMatchObject({ n: 3, precision: 0.5, recall: 1 });
      expect(metrics.modelVsGold.n).toBe(3);
      expect(metrics.parseFailures).toBe(1);
      expect(await store.metrics.stats()).toMatchObject({
        cases: 5,
        audits: 4,
        audited: 4,
        reviewed: 3,
        parseFailures: 1,
        modelVsGold: { compared: 3 },
      });
    });
  });
});
