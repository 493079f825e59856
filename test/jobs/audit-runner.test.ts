// Queue behaviour of the audit runner with a scripted engine (a test double whose timing the test controls).
// The real engines run through the same runner in test/engine and test/e2e.
import { describe, expect, it } from 'vitest';
import type { AuditProgress } from '../../src-main/api/contract';
import { CoreEvents } from '../../src-main/api/events';
import { EngineError, type AuditInput, type AuditOptions, type AuditResult, type Engine, type EngineInfo } from '../../src-main/engine/engine';
import { AuditRunner } from '../../src-main/jobs/audit-runner';
import { auditResult, newCase, openTempStore } from '../helpers/store-fixtures';

class ScriptedEngine implements Engine {
  readonly kind = 'llama.node' as const;
  readonly inputs: AuditInput[] = [];
  delayMs = 5;
  failFor = new Map<string, EngineError | Error>();

  info(): EngineInfo {
    return {
      engine: 'llama.node', modelId: 'model-a', modelName: 'scripted', architecture: 'qwen2vl', quantization: 'F16',
      sizeBytes: 1, contextLength: 8192, hasVision: true, gpu: { backend: 'cpu' }, build: { name: 'test', version: '0' },
      promptSha256: 'prompt-a', promptHashOk: true, dataLeavesMachine: false, warnings: [],
    };
  }

  async audit(input: AuditInput, options: AuditOptions = {}): Promise<AuditResult> {
    this.inputs.push(input);
    const failure = this.failFor.get(input.caseId);
    for (const piece of ['"Analysis": ', 'ok\n', '"Judgment": 1']) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, this.delayMs);
        options.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(new EngineError('aborted', 'aborted'));
        });
      });
      options.onToken?.(piece);
    }
    if (failure) throw failure;
    return auditResult(1, { imageMissing: input.imageMissing });
  }

  async dispose(): Promise<void> {}
}

function setup(caseCount: number) {
  const store = openTempStore();
  store.transaction(() => {
    for (let i = 0; i < caseCount; i++) store.cases.insert(newCase(`case-${i}`), null);
  });
  const events = new CoreEvents();
  const engine = new ScriptedEngine();
  const progress: AuditProgress[] = [];
  const tokens: string[] = [];
  events.on('audit.progress', (p) => progress.push(p));
  events.on('audit.token', (t) => tokens.push(t.text));
  const runner = new AuditRunner({ store, events, currentEngine: () => engine });
  return { store, events, engine, runner, progress, tokens };
}

describe('audit runner', () => {
  it('audits every unaudited case once, streaming tokens and reporting progress', async () => {
    const { store, runner, progress, tokens, engine } = setup(5);
    runner.start({});
    const final = await runner.whenSettled();
    expect(final).toMatchObject({ state: 'done', done: 5, failed: 0, total: 5 });
    expect(store.metrics.stats()).toMatchObject({ audits: 5, audited: 5, jobs: { done: 5, queued: 0, running: 0 } });
    expect(tokens.join('')).toBe('"Analysis": ok\n"Judgment": 1'.repeat(5));
    expect(progress.at(-1)?.state).toBe('done');
    expect(progress.some((p) => p.currentCaseId === 'case-2')).toBe(true);
    expect(store.caseDetail('case-0').history.map((h) => h.action)).toEqual(['audit.verdict']);
    // a second run finds nothing left to do
    runner.start({});
    expect((await runner.whenSettled()).total).toBe(0);
    expect(engine.inputs).toHaveLength(5);
  });

  it('runs parallel workers without auditing a case twice', async () => {
    const { store, runner, engine } = setup(12);
    runner.start({ parallel: 3 });
    await runner.whenSettled();
    expect(new Set(engine.inputs.map((i) => i.caseId)).size).toBe(12);
    expect(engine.inputs).toHaveLength(12);
    expect(store.metrics.stats().audits).toBe(12);
  });

  it('pauses within one token, resumes where it stopped, and cancels the rest', async () => {
    const { store, runner, engine } = setup(6);
    engine.delayMs = 40;
    runner.start({});
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    runner.pause();
    await runner.whenSettled();
    expect(Date.now() - started).toBeLessThan(1000);
    const afterPause = store.metrics.stats();
    expect(afterPause.jobs.running).toBe(0);
    expect(afterPause.audits).toBeGreaterThan(0);
    expect(afterPause.audits).toBeLessThan(6);

    engine.delayMs = 5;
    runner.resume();
    await new Promise((r) => setTimeout(r, 30));
    await runner.cancel();
    const stats = store.metrics.stats();
    expect(stats.jobs.running).toBe(0);
    expect(stats.jobs.queued).toBe(0);
    expect(stats.audits).toBeLessThan(6);
    // every case has at most one verdict
    expect(new Set(engine.inputs.map((i) => i.caseId)).size).toBeLessThanOrEqual(6);
  });

  it('retries transient failures, fails a too-long case at once, and keeps going', async () => {
    const { store, runner, engine } = setup(3);
    engine.failFor.set('case-1', new EngineError('generation_failed', 'server went away'));
    engine.failFor.set('case-2', new EngineError('case_too_long', 'The thinking is 9,000 tokens; the context holds 8,192.'));
    runner.start({});
    const final = await runner.whenSettled();
    expect(final).toMatchObject({ done: 1, failed: 2 });
    expect(final.lastError).toMatch(/case-1|case-2/);
    expect(engine.inputs.filter((i) => i.caseId === 'case-1')).toHaveLength(3);
    expect(engine.inputs.filter((i) => i.caseId === 'case-2')).toHaveLength(1);
    expect(store.metrics.stats().jobs).toMatchObject({ done: 1, failed: 2 });
  });

  it('tells the engine when a case named an image the store does not have', async () => {
    const { store, runner, engine } = setup(0);
    store.cases.insert(newCase('ghost-image', { imageRef: 'missing.png', imageMissing: true }), null);
    store.cases.insert(newCase('text-only'), null);
    runner.start({});
    await runner.whenSettled();
    const byId = Object.fromEntries(engine.inputs.map((i) => [i.caseId, i]));
    expect(byId['ghost-image']).toMatchObject({ image: null, imageMissing: true });
    expect(byId['text-only']).toMatchObject({ image: null, imageMissing: false });
    expect(store.caseDetail('ghost-image').latestAudit?.imageMissing).toBe(true);
  });

  it('refuses to start without a loaded model, and rejects unknown case ids before queueing anything', () => {
    const { store, events } = setup(1);
    const idle = new AuditRunner({ store, events, currentEngine: () => null });
    expect(() => idle.start({})).toThrow(/No model is loaded/);
    const { runner, store: other } = setup(1);
    expect(() => runner.start({ caseIds: ['case-0', 'nope'] })).toThrow(/No case with id "nope"/);
    expect(other.jobs.counts().queued).toBe(0);
  });
});
