// Step localization through the contract (Store.steps), once per engine (engines.ts): a search is a job of its own
// kind (queued once, claimed under a lease, put back by another connection only when its holder is gone), a probe
// is stored once per cut, and step marks are append-only with their activity-log entries.
import { afterEach, describe, expect, it } from 'vitest';
import type { NewStepProbe, StepSearchSpec, Store } from '@main/store/contract';
import { auditResult, newCase, recordVerdicts } from '../helpers/store-fixtures';
import { engines, type EngineFactory } from './engines';
import { addCases } from './seed';

const spec = (caseId: string, overrides: Partial<StepSearchSpec> = {}): StepSearchSpec => ({
  caseId,
  stepCount: 4,
  segmenterVersion: 1,
  traceSha256: 't'.repeat(64),
  engine: 'llama.node',
  modelId: 'model-a',
  modelSha256: null,
  mmprojSha256: null,
  promptSha256: 'prompt-a',
  profileId: 'guardtrace-vl',
  ...overrides,
});

const probe = (cut: number, risk: 0 | 1): NewStepProbe => ({
  cut,
  status: 'ok',
  risk,
  flagged: risk === 1,
  levelProbs: null,
  promptTokens: 10,
  cachedPromptTokens: 0,
  generatedTokens: 2,
  judgmentStop: 'after_judgment',
  totalMs: 1,
  rawOutput: `"Judgment": ${risk}`,
});

describe.each(engines())('store contract on %s', (_name, engine: EngineFactory) => {
  const reason = engine.unavailable();
  const open: Store[] = [];
  const track = (store: Store) => (open.push(store), store);
  afterEach(async () => {
    for (const store of open.splice(0).reverse()) await store.close();
  });

  describe.skipIf(reason !== null)(`step searches${reason ? ` (skipped: ${reason})` : ''}`, () => {
    it('queues a search once, claims it under a lease, stores each probe once and counts the outcome', async () => {
      const store = track(await engine.open());
      await addCases(store, [newCase('a'), newCase('b')]);
      const { id, queued } = await store.steps.enqueue(spec('a'));
      expect(queued).toBe(true);
      expect(await store.steps.enqueue(spec('a'))).toEqual({ id, queued: false });
      expect(await store.steps.counts()).toEqual({ done: 0, running: 1, failed: 0, notMonotone: 0 });

      const claimed = (await store.steps.claim('model-a', 'prompt-a'))!;
      expect(claimed).toMatchObject({ id, caseId: 'a', status: 'running', probes: [] });
      expect(await store.steps.claim('model-a', 'prompt-a')).toBeNull();
      expect(await store.steps.heartbeat()).toBe(1);
      // Another connection leaves a live holder's search alone.
      const other = track(await engine.openAgain(store));
      expect(await other.steps.requeueOrphaned()).toBe(0);

      expect(await store.steps.recordProbe(id, probe(2, 1), { modelSha256: 'm'.repeat(64), mmprojSha256: null })).toBe(
        true,
      );
      expect(await store.steps.recordProbe(id, probe(2, 0))).toBe(false); // a replayed cut changes nothing
      await store.steps.recordProbe(id, probe(1, 0));
      await store.steps.finish(id, 'located', { step: 2, offset: 10 });
      const done = await store.steps.get(id);
      expect(done).toMatchObject({ status: 'located', locatedStep: 2, locatedOffset: 10, modelSha256: 'm'.repeat(64) });
      // Stored in the order they ran (cut order within one millisecond); one per cut either way.
      expect(done.probes.map((p) => [p.cut, p.risk ?? -1]).sort((x, y) => x[0] - y[0])).toEqual([
        [1, 0],
        [2, 1],
      ]);
      // How each probe's generation ended is kept with it (its provenance: stopped at the judgment or not).
      expect(done.probes.map((p) => p.judgmentStop)).toEqual(['after_judgment', 'after_judgment']);
      expect(await store.steps.latestForCase('a')).toMatchObject({ id, status: 'located' });
      expect(await store.steps.latestForCase('b')).toBeNull();
      expect(await store.steps.counts()).toEqual({ done: 1, running: 0, failed: 0, notMonotone: 0 });
      await expect(store.steps.get(id + 1000)).rejects.toMatchObject({ code: 'not_found' });
    });

    it('finds the flagged cases without a search, and requeues a failed search with its probes', async () => {
      const store = track(await engine.open());
      await addCases(store, [newCase('f1'), newCase('f2'), newCase('safe')]);
      await recordVerdicts(store, [
        { caseId: 'f1', result: auditResult(1) },
        { caseId: 'f2', result: auditResult(0.5) },
        { caseId: 'safe', result: auditResult(0) },
      ]);
      expect(await store.steps.flaggedWithoutSearch('model-a', 'prompt-a', 10)).toEqual(['f1', 'f2']);
      const { id } = await store.steps.enqueue(spec('f1'));
      expect(await store.steps.flaggedWithoutSearch('model-a', 'prompt-a', 10)).toEqual(['f2']);
      await store.steps.claim('model-a', 'prompt-a', id);
      await store.steps.recordProbe(id, probe(4, 1));
      await store.steps.fail(id, 'Case f1: no verdict');
      expect(await store.steps.get(id)).toMatchObject({
        status: 'failed',
        attempts: 1,
        lastError: 'Case f1: no verdict',
      });
      expect(await store.steps.flaggedWithoutSearch('model-a', 'prompt-a', 10)).toEqual(['f1', 'f2']);
      expect(await store.steps.enqueue(spec('f1'))).toEqual({ id, queued: true });
      expect((await store.steps.get(id)).probes.map((p) => p.cut)).toEqual([4]); // resumes from its probes
      expect(await store.steps.cancelQueued()).toBe(1);
    });

    it('records step marks with their log entries; an undo is a new mark and the label follows', async () => {
      const store = track(await engine.open());
      await addCases(store, [newCase('c')]);
      const mark = { caseId: 'c', traceSha256: 'x', stepCount: 4, reviewer: 'ann' };
      await store.steps.mark({ ...mark, kind: 'step', stepIndex: 2, stepOffset: 12 });
      await store.steps.mark({ ...mark, kind: 'none', stepIndex: null, stepOffset: null });
      expect(await store.steps.label('c')).toMatchObject({ kind: 'none', reviewer: 'ann' });
      expect(await store.steps.undoLastMark('c', 'bob')).toBeNull(); // bob marked nothing
      expect(await store.steps.undoLastMark('c', 'ann')).not.toBeNull();
      expect(await store.steps.label('c')).toMatchObject({ kind: 'step', stepIndex: 2, stepOffset: 12 });
      const history = (await store.cases.get('c')).history.filter((e) => e.action.startsWith('steps.'));
      expect(history.map((e) => [e.action, e.actor])).toEqual([
        ['steps.confirm', 'ann'],
        ['steps.clear', 'ann'],
        ['steps.undo', 'ann'],
      ]);
      await expect(
        store.steps.mark({ ...mark, caseId: 'nope', kind: 'none', stepIndex: null, stepOffset: null }),
      ).rejects.toMatchObject({ code: 'not_found' });
    });
  });
});
