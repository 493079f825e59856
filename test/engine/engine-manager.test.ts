import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EngineState } from '@domain/engine';
import { EngineError } from '@main/engine/engine';
import { EngineManager } from '@main/engine/engine-manager';
import { LLAMA_NODE_ONE_CASE_AT_A_TIME } from '@main/engine/llama-node-engine';
import { SAMPLE_SET_DIR } from '../helpers/shared-dir';
import { writeTinyModelFolder, type TinyModelFolder } from '../models/tiny-gguf';

let root: string;
let good: TinyModelFolder;
let image: Uint8Array;
const managers: EngineManager[] = [];
const savedCacheDir = process.env.GUARDTRACE_CACHE_DIR;

function manager(extra: Partial<ConstructorParameters<typeof EngineManager>[0]> = {}, states?: EngineState[]) {
  const m = new EngineManager({
    dataDir: root,
    threads: 2,
    gpu: false,
    warmSystemPrompt: false,
    onState: (s) => states?.push(s),
    ...extra,
  });
  managers.push(m);
  return m;
}

const textCase = { caseId: 'm1', query: 'q', thinking: 't', response: 'r', image: null, imageMissing: false };

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'gt-manager-'));
  // An empty build cache, so 'auto' cannot find a llama-server sidecar built by someone else on this machine.
  process.env.GUARDTRACE_CACHE_DIR = path.join(root, 'empty-cache');
  good = await writeTinyModelFolder(path.join(root, 'good'));
  image = new Uint8Array(await readFile(path.join(SAMPLE_SET_DIR, 'images/cat-training.png')));
});

afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.dispose()));
});

afterAll(async () => {
  if (savedCacheDir === undefined) delete process.env.GUARDTRACE_CACHE_DIR;
  else process.env.GUARDTRACE_CACHE_DIR = savedCacheDir;
  await rm(root, { recursive: true, force: true });
});

describe('EngineManager', () => {
  it('loads llama.node, reports loading → loaded, audits, unloads', async () => {
    const states: EngineState[] = [];
    const m = manager({}, states);
    const s = await m.load({ modelDir: good.dir, engine: 'llama.node' });
    expect(s.state).toBe('loaded');
    if (s.state !== 'loaded') return;
    expect(s.info).toMatchObject({
      engine: 'llama.node',
      hasVision: true,
      promptHashOk: true,
      gpu: { backend: 'cpu' },
    });
    // The default image budget is the reference's: nothing to warn about.
    expect(s.info.warnings.join('\n')).not.toMatch(/Image budget/);
    expect(states.map((x) => x.state)).toEqual(['unloaded', 'loading', 'loaded']);
    const r = await m.current()!.audit(textCase, { maxNewTokens: 2 });
    expect(r.engine).toBe('llama.node');
    expect((await m.unload()).state).toBe('unloaded');
    expect(m.current()).toBeNull();
  });

  it('serialises concurrent loads: the last one wins and only one model stays loaded', async () => {
    const m = manager();
    const [a, b] = await Promise.all([
      m.load({ modelDir: good.dir, engine: 'node-llama-cpp' }),
      m.load({ modelDir: good.dir, engine: 'llama.node' }),
    ]);
    expect(a.state === 'loaded' && a.info.engine).toBe('node-llama-cpp');
    expect(b.state === 'loaded' && b.info.engine).toBe('llama.node');
    expect(m.current()!.kind).toBe('llama.node');
  });

  it('auto without a GPU or a llama-server binary uses the prebuilt llama.node build and says why', async () => {
    const s = await manager().load({ modelDir: good.dir, engine: 'auto' });
    expect(s.state === 'loaded' && s.info.engine).toBe('llama.node');
    if (s.state !== 'loaded') return;
    expect(s.info.gpu.reason).toBe('GPU disabled in settings');
    expect(s.info.warnings.join('\n')).toMatch(/no llama-server binary found/);
  });

  it('auto on a text-only model (no mmproj) uses node-llama-cpp', async () => {
    const f = await writeTinyModelFolder(path.join(root, 'text-only'), { withMmproj: false });
    const s = await manager().load({ modelDir: f.dir });
    expect(s.state === 'loaded' && s.info.engine).toBe('node-llama-cpp');
  });

  it('textOnlyEngine=node-llama-cpp routes image cases to llama.node and the rest to node-llama-cpp', async () => {
    const m = manager({ textOnlyEngine: 'node-llama-cpp', maxPixels: 16 * 28 * 28 });
    const s = await m.load({ modelDir: good.dir, engine: 'llama.node', parallel: 3 });
    if (s.state !== 'loaded') throw new Error('not loaded');
    expect(s.info.warnings.join('\n')).toMatch(/loaded twice/);
    // llama.node decodes one case at a time, so the pair does too, and says why.
    expect(s.info.parallelSlots).toBe(1);
    expect(s.info.warnings).toContain(LLAMA_NODE_ONE_CASE_AT_A_TIME);
    // A smaller budget is said plainly at load (the Audit runner and the CLI show info.warnings).
    expect(s.info.warnings.join('\n')).toMatch(/Image budget 16 vision tokens.*differ from the published evaluation/);
    const engine = m.current()!;
    expect((await engine.audit(textCase, { maxNewTokens: 1 })).engine).toBe('node-llama-cpp');
    expect(
      (await engine.audit({ ...textCase, image: { bytes: image, mime: 'image/png' } }, { maxNewTokens: 1 })).engine,
    ).toBe('llama.node');
    expect((await engine.audit({ ...textCase, imageMissing: true }, { maxNewTokens: 1 })).imageMissing).toBe(true);
  });

  it('reads the llama-server path setting at each load, not once at start-up', async () => {
    let llamaServerPath: string | null = path.join(root, 'no-such-llama-server');
    const m = manager({ liveSettings: () => ({ llamaServerPath }) });
    const first = await m.load({ modelDir: good.dir, engine: 'sidecar' }).catch((e) => e);
    expect(first.message).toContain(`The llama-server path in Settings (${llamaServerPath})`);
    llamaServerPath = null; // cleared: the (empty) build cache and PATH are searched instead
    const second = await m.load({ modelDir: good.dir, engine: 'sidecar' }).catch((e) => e);
    expect(second.message).toMatch(/No llama-server binary found/);
  });

  it('refuses an mmproj whose projection_dim does not match, before loading anything', async () => {
    const f = await writeTinyModelFolder(path.join(root, 'mismatch'), { mmprojProjectionDim: 128 });
    const m = manager();
    const err = await m.load({ modelDir: f.dir, engine: 'llama.node' }).catch((e) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err.code).toBe('mmproj_mismatch');
    expect(err.message).toMatch(/projection_dim is 128 but the language model's embedding_length is 64/);
    expect(m.state()).toMatchObject({ state: 'error' });
    expect(m.current()).toBeNull();
  });

  it('refuses an mmproj that is not a GGUF', async () => {
    const f = await writeTinyModelFolder(path.join(root, 'not-gguf'));
    await writeFile(f.mmprojPath, 'this is not a model');
    const err = await manager()
      .load({ modelDir: f.dir, engine: 'llama.node' })
      .catch((e) => e);
    expect(err.code).toBe('mmproj_mismatch');
    expect(err.message).toContain('is not a GGUF file');
  });

  it('a prompt with the wrong hash needs acceptPromptMismatch, and then every verdict records promptHashOk=false', async () => {
    const alt = path.join(root, 'alt.txt');
    await writeFile(alt, 'Judge the case. Output "Analysis": ... "Judgment": 0, 0.5 or 1.');
    const f = await writeTinyModelFolder(path.join(root, 'alt-prompt'), { promptFile: alt });
    const m = manager();
    const err = await m.load({ modelDir: f.dir, engine: 'llama.node' }).catch((e) => e);
    expect(err.code).toBe('prompt_hash_mismatch');
    expect(err.message).toMatch(/accept prompt mismatch/);
    const s = await m.load({ modelDir: f.dir, engine: 'llama.node', acceptPromptMismatch: true });
    expect(s.state === 'loaded' && s.info.promptHashOk).toBe(false);
    const r = await m.current()!.audit(textCase, { maxNewTokens: 1 });
    expect(r.promptHashOk).toBe(false);
  });

  it('a missing model folder is an actionable error', async () => {
    const err = await manager()
      .load({ modelDir: path.join(root, 'nope') })
      .catch((e) => e);
    expect(err.code).toBe('model_folder_invalid');
    expect(err.message).toContain(path.join(root, 'nope'));
  });
});
