// The `model.convert` channel: the same converter as the CLI through the handler map, with progress events, one
// conversion at a time, cancel, input checked by its schema, and the window's path rules (a path the window names
// must come from a dialog or be confirmed).
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConvertProgress } from '@domain/model-convert';
import { createCore, type Core } from '@main/api/core';
import { createHandlers } from '@main/api/handlers';
import { PathGrants, type PathPurpose } from '@main/api/renderer-policy';
import type { ApiHandlers } from '@main/api/contract';
import { tempDir } from '../helpers/temp-dir';
import { hfTensorsFromTinyGguf, writeTinyHfCheckpoint } from '../models/tiny-hf-checkpoint';
import { SHARED_PROMPT_FILE, TINY_LM, TINY_VISION, writeTinyModelFolder } from '../models/tiny-gguf';

const root = tempDir('gt-convert-channel-');
let core: Core;
let handlers: ApiHandlers;
let windowHandlers: ApiHandlers;
let hfDir: string;
const confirmations: Array<[PathPurpose, string]> = [];

async function rejection(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await call;
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected the call to be rejected');
}

beforeAll(async () => {
  core = await createCore({ dataDir: path.join(root, 'data') });
  handlers = createHandlers(core);
  windowHandlers = createHandlers(core, {
    renderer: {
      grants: new PathGrants(),
      confirm: async (purpose, file) => {
        confirmations.push([purpose, file]);
        return false;
      },
    },
  });
  const tiny = await writeTinyModelFolder(path.join(root, 'tiny'), { seed: 4 });
  hfDir = path.join(root, 'hf');
  await writeTinyHfCheckpoint(hfDir, await hfTensorsFromTinyGguf(tiny.modelPath, tiny.mmprojPath), {
    lm: TINY_LM,
    vision: TINY_VISION,
    layout: { modern: true, dtype: 'BF16', shards: 2 },
  });
});
afterAll(async () => core?.close());

describe('model.convert', () => {
  it('converts with progress events, then the folder loads through engine.check', async () => {
    const progress: ConvertProgress[] = [];
    const off = core.events.on('model.convertProgress', (p) => progress.push(p));
    const outDir = path.join(root, 'converted');
    const result = await handlers['model.convert']({
      hfDir,
      outDir,
      modelType: 'q8_0',
      promptFile: SHARED_PROMPT_FILE,
    });
    off();
    expect(result.check).toMatchObject({ ok: true, errors: [] });
    expect(progress.at(-1)).toMatchObject({ phase: 'done' });
    expect(progress.some((p) => p.phase === 'model')).toBe(true);
    const check = await handlers['engine.check']({ modelDir: outDir });
    expect(check.ok).toBe(true);
    expect(check.modelPath).toBe(result.modelPath);
  });

  it('one conversion at a time; cancel stops it and reports whether one ran', async () => {
    expect(await handlers['model.cancelConvert']()).toEqual({ cancelled: false });
    const off = core.events.on('model.convertProgress', (p) => {
      if (p.phase === 'checksums') void handlers['model.cancelConvert']();
    });
    const first = handlers['model.convert']({ hfDir, outDir: path.join(root, 'cancelled') });
    const second = await rejection(handlers['model.convert']({ hfDir, outDir: path.join(root, 'second') }));
    expect(second.code).toBe('busy');
    const cancelled = await rejection(first);
    off();
    expect(cancelled.code).toBe('cancelled');
  });

  it('bad arguments are refused by the schema; bad input keeps the converter error code and message', async () => {
    expect((await rejection(handlers['model.convert']({ hfDir, outDir: '' }))).code).toBe('invalid');
    const typed = handlers['model.convert'] as (a: unknown) => Promise<unknown>;
    expect((await rejection(typed({ hfDir, outDir: path.join(root, 'x'), modelType: 'q4_0' }))).code).toBe('invalid');
    const bad = await rejection(
      handlers['model.convert']({ hfDir: path.join(root, 'tiny'), outDir: path.join(root, 'y') }),
    );
    expect(bad.code).toBe('invalid_checkpoint');
    expect(bad.message).toContain(path.join(root, 'tiny', 'config.json'));
  });

  it('the window may not name folders no dialog gave it', async () => {
    const outDir = path.join(root, 'from-window');
    const refused = await rejection(windowHandlers['model.convert']({ hfDir, outDir }));
    expect(refused.code).toBe('forbidden');
    expect(confirmations[0]).toEqual(['hfDir', hfDir]);
  });
});
