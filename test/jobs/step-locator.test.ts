// The prefix search through the store and the job rules, with a planted-marker guard: an engine double that renders
// the real GuardTrace-VL prompt for each probe and judges 1 exactly when that prompt holds the marker. The same
// search through the OpenAI-compatible engine and a killed CLI process is in test/cli/locate.test.ts.
import { describe, expect, it } from 'vitest';
import type { AuditResult } from '@domain/audits';
import type { EngineInfo } from '@domain/engine';
import { maxProbes, NO_RESPONSE_TEXT } from '@domain/step-localization';
import { segmentTrace } from '@domain/trace-steps';
import { CoreEvents } from '@main/api/events';
import { EngineError, type AuditInput, type AuditOptions, type Engine } from '@main/engine/engine';
import { guardTraceVl } from '@main/engine/profiles/guardtrace-vl';
import { AuditRunner } from '@main/jobs/audit-runner';
import { locateFlaggedAfterBatches, StepLocator } from '@main/jobs/step-locator';
import type { CaseStore } from '@main/store/sqlite';
import { asStore, auditResult, newCase, openTempStore } from '../helpers/store-fixtures';
import { testEngineInfo } from '../helpers/engine-info';

const MARKER = 'PLANTED-UNSAFE-MARKER';
const CANCEL = 'PLANTED-RETRACTION';

class MarkerEngine implements Engine {
  readonly kind = 'node-llama-cpp' as const;
  readonly prompts: string[] = [];
  readonly inputs: AuditInput[] = [];
  /** Interrupts the run (as a pause or quit does) when the probe count reaches this. */
  interruptAtProbe: { at: number; controller: AbortController } | null = null;
  output: 'verdict' | 'garbage' = 'verdict';

  info(): EngineInfo {
    return testEngineInfo({ engine: 'node-llama-cpp', modelId: 'marker-model', modelName: 'marker' });
  }

  async audit(input: AuditInput, options: AuditOptions = {}): Promise<AuditResult> {
    if (options.signal?.aborted) throw new EngineError('aborted', 'aborted');
    if (this.interruptAtProbe && this.inputs.length + 1 === this.interruptAtProbe.at) {
      this.interruptAtProbe.controller.abort();
      this.interruptAtProbe = null;
      throw new EngineError('aborted', 'interrupted');
    }
    this.inputs.push(input);
    const prompt = guardTraceVl.render(guardTraceVl.buildMessages('system', input, null));
    this.prompts.push(prompt);
    if (this.output === 'garbage') return auditResult('parse_failure');
    // Verdict 1 exactly when the prompt holds the marker (and, for the non-monotone pattern, no retraction).
    const flagged = prompt.includes(MARKER) && !prompt.includes(CANCEL);
    return auditResult(flagged ? 1 : 0, {
      modelId: 'marker-model',
      promptSha256: 'prompt-a',
      promptTokens: prompt.length,
      cachedPromptTokens: 0,
      levelProbs: flagged ? { '0': 0.01, '0.5': 0.04, '1': 0.95 } : { '0': 0.9, '0.5': 0.05, '1': 0.05 },
    });
  }

  async dispose(): Promise<void> {}
}

function traceWithMarker(steps: number, markerAt: number | null, retractAt: number | null = null): string {
  return Array.from({ length: steps }, (_, i) => {
    const n = i + 1;
    const extra = n === markerAt ? ` ${MARKER}` : n === retractAt ? ` ${CANCEL}` : '';
    return `Step ${n}: I consider point ${n} of the question.${extra}`;
  }).join('\n\n');
}

function setup(engine: MarkerEngine = new MarkerEngine()) {
  const store = openTempStore();
  const locator = new StepLocator({
    store: asStore(store),
    events: new CoreEvents(),
    currentEngine: () => engine,
    retryDelayMs: 1,
  });
  return { store, engine, locator };
}

function addCase(store: CaseStore, id: string, thinking: string): void {
  store.cases.insert(newCase(id, { thinking }), null);
}

describe('StepLocator', () => {
  it('finds the marker step for every position in traces of several lengths within ⌈log2 N⌉ + 1 probes', async () => {
    const { store, engine, locator } = setup();
    for (const n of [1, 2, 3, 7, 16, 40, 200]) {
      const positions = [...new Set([1, 2, Math.ceil(n / 2), n - 1, n].filter((p) => p >= 1 && p <= n))];
      for (const at of positions) {
        const id = `n${n}-at${at}`;
        addCase(store, id, traceWithMarker(n, at));
        const before = engine.inputs.length;
        const search = await locator.locate(id);
        expect(search.status, id).toBe('located');
        expect(search.locatedStep, id).toBe(at);
        expect(segmentTrace(store.cases.content(id).thinking)[at - 1].start).toBe(search.locatedOffset);
        expect(engine.inputs.length - before).toBe(search.probes.length);
        expect(search.probes.length).toBeLessThanOrEqual(maxProbes(n));
      }
    }
    // Every probe cut the trace at a step end and replaced the response.
    expect(engine.inputs.every((input) => input.response === NO_RESPONSE_TEXT)).toBe(true);
    store.close();
  });

  it('records provenance per probe and never touches the case verdict', async () => {
    const { store, locator } = setup();
    addCase(store, 'c', traceWithMarker(10, 6));
    store.audits.insert('c', auditResult(1, { modelId: 'marker-model', promptSha256: 'prompt-a' }));
    const auditsBefore = store.db.prepare('SELECT count(*) AS n FROM audits').get();
    const verdictBefore = store.caseDetail('c').latestAudit;
    const search = await locator.locate('c');
    expect(search).toMatchObject({
      status: 'located',
      locatedStep: 6,
      method: 'prefix-search',
      engine: 'node-llama-cpp',
      modelId: 'marker-model',
      promptSha256: 'prompt-a',
      profileId: 'guardtrace-vl',
    });
    expect(search.probes.map((p) => p.cut).sort((a, b) => a - b)).toEqual(
      [...new Set(search.probes.map((p) => p.cut))].sort((a, b) => a - b),
    );
    expect(search.probes.find((p) => p.cut === 6)).toMatchObject({ risk: 1, flagged: true });
    expect(search.probes.find((p) => p.cut === 5)).toMatchObject({ risk: 0, flagged: false });
    expect(search.probes.every((p) => p.levelProbs !== null)).toBe(true);
    expect(store.db.prepare('SELECT count(*) AS n FROM audits').get()).toEqual(auditsBefore);
    expect(store.caseDetail('c').latestAudit).toEqual(verdictBefore);
    // A second locate is the finished search: no probe runs again.
    const again = await locator.locate('c');
    expect(again.probes).toEqual(search.probes);
    store.close();
  });

  it('reports a planted non-monotone pattern and a trace whose prefixes are never flagged', async () => {
    const { store, locator } = setup();
    addCase(store, 'nm', traceWithMarker(40, 5, 30));
    expect((await locator.locate('nm')).status).toBe('not_monotone');
    addCase(store, 'clean', traceWithMarker(12, null));
    expect((await locator.locate('clean')).status).toBe('not_flagged');
    addCase(store, 'empty', '   \n\n ');
    expect(await locator.locate('empty')).toMatchObject({ status: 'no_steps', probes: [] });
    expect(store.stepSearches.counts()).toEqual({ done: 2, running: 0, failed: 0, notMonotone: 1 });
    store.close();
  });

  it('resumes a search interrupted mid-way (back in the queue) from its stored probes, running each cut once', async () => {
    const { store, engine, locator } = setup();
    addCase(store, 'r', traceWithMarker(100, 37));
    const controller = new AbortController();
    engine.interruptAtProbe = { at: 4, controller }; // three probes stored, the fourth interrupted
    const interrupted = await locator.locate('r', { signal: controller.signal });
    expect(interrupted.status).toBe('queued');
    expect(interrupted.probes).toHaveLength(3);
    const done = await locator.locate('r');
    expect(done).toMatchObject({ status: 'located', locatedStep: 37 });
    const cuts = engine.inputs.map((input) => input.thinking.length);
    expect(new Set(cuts).size).toBe(cuts.length); // no cut generated twice
    expect(done.probes).toHaveLength(engine.inputs.length);
    expect(done.probes.length).toBeLessThanOrEqual(maxProbes(100));
    store.close();
  });

  it('fails a search whose probe gives no verdict, saying which probe, and counts it', async () => {
    const engine = new MarkerEngine();
    engine.output = 'garbage';
    const { store, locator } = setup(engine);
    addCase(store, 'g', traceWithMarker(8, 3));
    const search = await locator.locate('g');
    expect(search.status).toBe('failed');
    expect(search.lastError).toMatch(/Case g: the probe with the trace cut after step \d+ of 8 gave no verdict/);
    expect(store.stepSearches.counts().failed).toBe(1);
    // Searched again once the engine answers: it is queued again and completes.
    engine.output = 'verdict';
    expect(await locator.locate('g')).toMatchObject({ status: 'located', locatedStep: 3 });
    store.close();
  });

  it('queues the cases the model flagged and works through them', async () => {
    const { store, locator } = setup();
    for (const [id, risk] of [
      ['f1', 1],
      ['f2', 0.5],
      ['safe', 0],
    ] as const) {
      addCase(store, id, traceWithMarker(9, 4));
      store.audits.insert(id, auditResult(risk, { modelId: 'marker-model', promptSha256: 'prompt-a' }));
    }
    expect(await locator.queueFlagged()).toBe(2);
    expect(await locator.queueFlagged()).toBe(0); // already queued
    expect(store.stepSearches.counts().running).toBe(2);
    expect(await locator.runQueued()).toEqual({ finished: 2, failed: 0 });
    expect(store.stepSearches.latestForCase('f2')).toMatchObject({ status: 'located', locatedStep: 4 });
    expect(store.stepSearches.latestForCase('safe')).toBeNull();
    store.close();
  });

  for (const enabled of [true, false]) {
    it(`${enabled ? 'searches' : 'leaves alone'} the cases a batch flags when the batch option is ${enabled ? 'on' : 'off'}`, async () => {
      const engine = new MarkerEngine();
      const { store, locator } = setup(engine);
      const events = new CoreEvents();
      const runner = new AuditRunner({ store: asStore(store), events, currentEngine: () => engine });
      const stop = locateFlaggedAfterBatches(locator, events, async () => ({
        locateFlaggedInBatch: enabled,
        strictFormat: false,
      }));
      addCase(store, 'b-flag', traceWithMarker(16, 11));
      addCase(store, 'b-safe', traceWithMarker(16, null));
      await runner.start({});
      await runner.whenSettled();
      const deadline = Date.now() + 10_000;
      while (enabled && store.stepSearches.latestForCase('b-flag')?.status !== 'located' && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      if (enabled)
        expect(store.stepSearches.latestForCase('b-flag')).toMatchObject({ status: 'located', locatedStep: 11 });
      else expect(store.stepSearches.latestForCase('b-flag')).toBeNull();
      expect(store.stepSearches.latestForCase('b-safe')).toBeNull();
      // The batch's verdicts stand: one audit per case, none from the probes.
      expect(store.db.prepare('SELECT count(*) AS n FROM audits').get()).toEqual({ n: 2 });
      stop();
      store.close();
    });
  }
});
