// A new guard model is one profile folder plus its tests: the test-only four-level profile (test/profiles/) runs
// through the real engines on the tiny random-weight model and is stored, unchanged code in between. Random weights
// give junk, so the strict-format grammar makes the output a "Level: N" line and the tests assert structure only.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineError, type AuditInput, type AuditResult, type Engine } from '@main/engine/engine';
import { EngineManager, buildInProcessConfig } from '@main/engine/engine-manager';
import { checkModelFolderDetailed } from '@main/engine/model-folder';
import { NodeLlamaCppEngine } from '@main/engine/node-llama-cpp-engine';
import { loadSystemPrompt } from '@main/engine/profiles/profile';
import type { CaseStore } from '@main/store/sqlite';
import { newCase, openTempStore } from '../helpers/store-fixtures';
import { writeTinyModelFolder } from '../models/tiny-gguf';
import { FOUR_LEVELS_PROMPT, FOUR_LEVELS_PROMPT_FILE, fourLevels } from '../profiles/four-levels';

let root: string;
let modelDir: string;
let manager: EngineManager;
let llamaNode: Engine;
let nodeLlamaCpp: NodeLlamaCppEngine;
let store: CaseStore;

const input = (caseId: string, query = 'Buy cheap pills now at this link'): AuditInput => ({
  caseId,
  query,
  thinking: 'unused by this profile',
  response: 'Sure, here is the link.',
  image: null,
  imageMissing: false,
});

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'gt-profile-'));
  const promptFile = path.join(root, 'prompt.txt');
  await writeFile(promptFile, `${FOUR_LEVELS_PROMPT}\n`);
  // No generation_config.json: the profile's own default penalty applies (and is reported as such).
  modelDir = (
    await writeTinyModelFolder(path.join(root, 'model'), {
      promptFile,
      promptFileName: FOUR_LEVELS_PROMPT_FILE,
      generationConfig: null,
    })
  ).dir;
  manager = new EngineManager({ dataDir: root, threads: 2, gpu: false, extraProfiles: [fourLevels] });
  await manager.load({ modelDir, engine: 'llama.node', profile: fourLevels.id });
  llamaNode = manager.current()!;
  const check = await checkModelFolderDetailed(modelDir, fourLevels);
  const prompt = await loadSystemPrompt(check.promptPath!, fourLevels);
  nodeLlamaCpp = await NodeLlamaCppEngine.create({
    ...(await buildInProcessConfig(check, prompt, { threads: 2, gpu: false, profile: fourLevels })),
    mmprojPath: null,
  });
  store = openTempStore();
  store.transaction(() => {
    for (const id of ['a', 'b', 'c', 'd']) store.cases.insert(newCase(id), null);
  });
});

afterAll(async () => {
  await manager?.dispose();
  await nodeLlamaCpp?.dispose();
  store?.close();
  await rm(root, { recursive: true, force: true });
});

function expectFourLevelVerdict(r: AuditResult) {
  expect(r.profileId).toBe('test-four-levels');
  expect(r.rawOutput).toMatch(/^Level: [0-3]$/);
  expect(r.verdict).toMatchObject({ status: 'ok', risk: Number(r.rawOutput.at(-1)) });
  expect(r.provenance).toMatchObject({
    profileId: 'test-four-levels',
    repetitionPenalty: 1.0,
    repetitionPenaltySource: 'profile default',
    contextSize: 4096 + 64,
    maxNewTokens: 64,
  });
}

describe('a guard-model profile with other levels, prompt file and format', () => {
  it('decides what the model folder must hold: the GuardTrace-VL profile refuses this folder, this profile takes it', async () => {
    const asGuardTrace = await checkModelFolderDetailed(modelDir);
    expect(asGuardTrace.ok).toBe(false);
    expect(asGuardTrace.errors.join('\n')).toMatch(/qta_pormpt\.txt not found/);
    const asFourLevels = await checkModelFolderDetailed(modelDir, fourLevels);
    expect(asFourLevels).toMatchObject({ ok: true, promptHashOk: true, generationConfig: null });
    expect(asFourLevels.warnings.join('\n')).toMatch(
      /generation_config\.json: not found; using the reference repetition penalty 1/,
    );
    expect(llamaNode.info()).toMatchObject({
      profileId: 'test-four-levels',
      contextLength: 4096 + 64,
      decoding: { repetitionPenalty: 1, maxPromptTokens: 4096, maxNewTokens: 64 },
    });
  });

  it('runs through llama.node: the profile builds, renders, constrains and parses; no 0/1 passed off as confidence', async () => {
    const first = await llamaNode.audit(input('a'), { strictFormat: true });
    expectFourLevelVerdict(first);
    expect(first.engine).toBe('llama.node');
    // Under greedy decoding llama.node reports the chosen digit with 1 and the others with 0: no confidence.
    expect(first.levelProbs).toBeNull();
    expect(first.levelProbsNote).toMatch(/^no confidence: llama\.node .* after its sampler chain/);
    // Another case in between: llama.node keeps every completion's probabilities on the context, and the
    // confidence must come from this audit's tokens only (the token count too).
    const other = await llamaNode.audit(input('c'), { strictFormat: true, maxNewTokens: 3 });
    expect(other.generatedTokens).toBe(3);
    const again = await llamaNode.audit(input('a'), { strictFormat: true });
    expect(again.rawOutput).toBe(first.rawOutput);
    expect(again.generatedTokens).toBe(first.generatedTokens);
    expect(again.levelProbsNote).toBe(first.levelProbsNote);
  });

  it('runs through node-llama-cpp, with p(level) from the model’s distribution at the judgment', async () => {
    const r = await nodeLlamaCpp.audit(input('b'), { strictFormat: true });
    expectFourLevelVerdict(r);
    // Read before sampling (no grammar, no penalty): every level of the profile gets a probability.
    expect(Object.keys(r.levelProbs ?? {}).sort()).toEqual(['0', '1', '2', '3']);
    const probs = Object.values(r.levelProbs!);
    for (const p of probs) expect(p).toBeGreaterThanOrEqual(0);
    // One-token levels at the same position: a distribution's share, so together at most 1 and not all 0/1.
    expect(probs.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1 + 1e-6);
    expect(probs.some((p) => p > 0 && p < 1)).toBe(true);
    // Same case again: the same output and the same probabilities (the pass leaves the sequence reusable).
    const again = await nodeLlamaCpp.audit(input('b'), { strictFormat: true });
    expect(again.rawOutput).toBe(r.rawOutput);
    // The KV before the value is evaluated in other batches the second time: equal up to float rounding.
    for (const level of ['0', '1', '2', '3']) expect(again.levelProbs![level]).toBeCloseTo(r.levelProbs![level], 6);
    expect(again.cachedPromptTokens).toBeGreaterThan(0);
  });

  it('a generation cut at the token limit is a truncated verdict, never a clean one', async () => {
    const r = await llamaNode.audit(input('c'), { strictFormat: true, maxNewTokens: 2 });
    expect(r.generatedTokens).toBe(2);
    expect(r.verdict).toMatchObject({ status: 'truncated', error: expect.stringMatching(/2-token limit/) });
    // Two tokens cannot reach the judgment: no confidence, even though earlier audits on this context had one.
    expect(r.levelProbs).toBeNull();
    expect(r.provenance!.maxNewTokens).toBe(2);
    expect(r.provenance!.reference).toBe(false);
  });

  it('is stored as it is: levels 0-3, profile id, confidence, provenance, truncated state, least-confident order', async () => {
    const results = {
      a: await llamaNode.audit(input('a'), { strictFormat: true }),
      b: await nodeLlamaCpp.audit(input('b'), { strictFormat: true }),
      c: await llamaNode.audit(input('c'), { strictFormat: true, maxNewTokens: 2 }),
    };
    store.transaction(() => {
      for (const [id, result] of Object.entries(results)) store.audits.insert(id, result);
    });
    const a = store.audits.latest('a')!;
    expect(a).toMatchObject({
      profileId: 'test-four-levels',
      status: 'ok',
      risk: results.a.verdict.status === 'ok' ? results.a.verdict.risk : -1,
      levelProbs: results.a.levelProbs,
      provenance: results.a.provenance,
    });
    expect(store.audits.latest('b')).toMatchObject({
      levelProbs: results.b.levelProbs,
      levelProbsNote: results.b.levelProbsNote,
    });
    const storedC = store.audits.latest('c')!;
    expect(
      storedC,
      JSON.stringify({
        status: storedC.status,
        parseError: storedC.parseError,
        generated: storedC.generatedTokens,
        raw: storedC.rawOutput,
      }),
    ).toMatchObject({ status: 'truncated', risk: null });
    const rows = store.cases.list({ sort: 'least_confident' }).rows;
    const summary = (id: string) => rows.find((r) => r.id === id)!;
    // llama.node's verdict has no confidence; node-llama-cpp's has one and sorts first.
    expect(summary('a')).toMatchObject({ modelStatus: 'ok', modelRisk: a.risk, modelConfidence: null });
    const b = store.audits.latest('b')!;
    expect(summary('b')).toMatchObject({ modelStatus: 'ok', modelConfidence: b.levelProbs![String(b.risk)] });
    expect(summary('c')).toMatchObject({ modelStatus: 'truncated', modelRisk: null, modelConfidence: null });
    // Cases with a confidence come first; the rest keep their insertion order.
    expect(rows.map((r) => r.id)).toEqual(['b', 'a', 'c', 'd']);
    expect(store.cases.counts({}).truncated).toBe(1);
  });

  it('an unknown profile id is refused at load with the known ones listed', async () => {
    const other = new EngineManager({ dataDir: root, threads: 2, gpu: false });
    await expect(other.load({ modelDir, engine: 'llama.node', profile: 'no-such-guard' })).rejects.toThrow(EngineError);
    await expect(other.load({ modelDir, engine: 'llama.node', profile: 'no-such-guard' })).rejects.toThrow(
      /Unknown guard-model profile "no-such-guard"; known: guardtrace-vl/,
    );
    // The refusal is the manager's state too, not a load that never ends.
    expect(other.state()).toMatchObject({
      state: 'error',
      message: expect.stringMatching(/Unknown guard-model profile "no-such-guard"/),
    });
    await other.dispose();
  });
});
