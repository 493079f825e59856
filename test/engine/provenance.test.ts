// Provenance: what every verdict records, when it counts as the profile's reference recipe, and the file hashes
// behind it (hashed once per file change).
import { createHash } from 'node:crypto';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { verdictContext, verdictProvenance } from '@main/engine/audit-common';
import { fileSha256 } from '@main/engine/model-folder';
import { DEFAULT_PROFILE } from '@main/engine/profiles';
import { decodingSettings, systemPromptFromText } from '@main/engine/profiles/profile';
import { tempDir } from '../helpers/temp-dir';
import { SHARED_PROMPT_FILE } from '../models/tiny-gguf';

const profile = DEFAULT_PROFILE;

async function context(over: { prompt?: string; imageMaxPixels?: number; penalty?: number | null } = {}) {
  const text = over.prompt ?? (await readFile(SHARED_PROMPT_FILE, 'utf8'));
  return verdictContext({
    profile,
    prompt: systemPromptFromText(text, profile),
    decoding: decodingSettings(profile, over.penalty === undefined ? 1.05 : over.penalty),
    modelSha256: 'a'.repeat(64),
    mmprojSha256: 'b'.repeat(64),
    imageMaxPixels: over.imageMaxPixels ?? profile.recipe.imageMaxPixels,
  });
}

describe('verdict provenance', () => {
  it('records everything that made the verdict, and reference=true for the published recipe', async () => {
    const p = verdictProvenance(await context(), 'llama.node', 2000, false);
    expect(p).toEqual({
      profileId: 'guardtrace-vl',
      engine: 'llama.node',
      modelSha256: 'a'.repeat(64),
      mmprojSha256: 'b'.repeat(64),
      promptSha256: profile.prompt.sha256,
      imageMaxPixels: 16384 * 28 * 28,
      repetitionPenalty: 1.05,
      repetitionPenaltySource: 'generation_config.json',
      repetitionPenaltyWindow: 'whole sequence',
      contextSize: 10192,
      maxPromptTokens: 8192,
      maxNewTokens: 2000,
      appVersion: expect.stringMatching(/^\d+\.\d+\.\d+/),
      reference: true,
    });
    // Without generation_config.json the profile's own value is the reference value too.
    expect(verdictProvenance(await context({ penalty: null }), 'openai', 2000, false).reference).toBe(true);
  });

  it('is not the reference recipe when any setting differs', async () => {
    const ctx = await context();
    expect(verdictProvenance(ctx, 'llama.node', 2000, true).reference).toBe(false); // strict-format grammar
    expect(verdictProvenance(ctx, 'llama.node', 64, false).reference).toBe(false);
    expect(verdictProvenance(ctx, 'llama.node', 2000, false, 'generated tokens only').reference).toBe(false);
    expect(verdictProvenance(await context({ imageMaxPixels: 1280 * 28 * 28 }), 'sidecar', 2000, false).reference).toBe(
      false,
    );
    expect(verdictProvenance(await context({ prompt: 'another prompt' }), 'sidecar', 2000, false).reference).toBe(
      false,
    );
    const noConfigOtherValue = await context({ penalty: null });
    noConfigOtherValue.decoding = { ...noConfigOtherValue.decoding, repetitionPenalty: 1.0 };
    expect(verdictProvenance(noConfigOtherValue, 'sidecar', 2000, false).reference).toBe(false);
  });

  it('hashes a whole model file once per change (path, size, mtime)', async () => {
    const file = path.join(tempDir(), 'model.gguf');
    await writeFile(file, 'first contents');
    const first = await fileSha256(file);
    expect(first).toBe(createHash('sha256').update('first contents').digest('hex'));
    expect(await fileSha256(file)).toBe(first);
    await writeFile(file, 'other contents!');
    await utimes(file, new Date(), new Date(Date.now() + 5000));
    const second = await fileSha256(file);
    expect(second).toBe(createHash('sha256').update('other contents!').digest('hex'));
  });
});
