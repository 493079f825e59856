// Sizing of parallel audits: flags read from llama-server's help, per-slot context, and the clamp on cases in flight.
import { describe, expect, it } from 'vitest';
import { clampParallelCases, DEFAULT_PARALLEL_CASES, sidecarContextSize } from '@main/engine/parallelism';
import { profileById } from '@main/engine/profiles';
import { decodingSettings } from '@main/engine/profiles/profile';
import { findLlamaServerBinary } from '@main/engine/sidecar/llama-server-binary';
import { llamaServerFlags, parseFlags } from '@main/engine/sidecar/llama-server-flags';

describe('parallel audit sizing', () => {
  it("gives each slot the profile's per-sequence context: an 8,192-token prompt and 2,000 new tokens", () => {
    const decoding = decodingSettings(profileById(undefined), null);
    expect(decoding.contextSize).toBe(10_192);
    expect(sidecarContextSize(1, decoding)).toBe(10_192);
    expect(sidecarContextSize(4, decoding)).toBe(40_768);
    // A profile with other budgets sizes the slots by its own recipe, and the slot count is clamped like --parallel.
    const shorter = decodingSettings(profileById(undefined), null, { maxPromptTokens: 4096, maxNewTokens: 1000 });
    expect(sidecarContextSize(2, shorter)).toBe(10_192);
    expect(sidecarContextSize(99, decoding)).toBe(16 * 10_192);
  });

  it('clamps cases in flight to 1..16 whole cases', () => {
    expect(clampParallelCases(undefined)).toBe(1);
    expect(clampParallelCases(0)).toBe(1);
    expect(clampParallelCases(3.7)).toBe(3);
    expect(clampParallelCases(99)).toBe(16);
    expect(clampParallelCases(Number.NaN)).toBe(1);
    expect(DEFAULT_PARALLEL_CASES).toBe(2);
  });

  it('reads --kv-unified, --kv-unified-per-slot and --image-min/max-tokens from the help text, and only those spellings', () => {
    const recent = [
      '-np,   --parallel N                     number of server slots (default: -1)',
      '-kvu,  --kv-unified, -no-kvu, --no-kv-unified',
      '--kv-unified-per-slot N                 context limit per parallel slot (default: unset)',
      '--image-min-tokens N                    minimum number of tokens each image can take',
      '--image-max-tokens N                    maximum number of tokens each image can take',
    ].join('\n');
    expect(parseFlags(recent)).toEqual({ kvUnified: true, kvUnifiedPerSlot: true, imageTokenRange: true });
    expect(parseFlags('-kvu,  --kv-unified                     use single unified KV buffer')).toEqual({
      kvUnified: true,
      kvUnifiedPerSlot: false,
      imageTokenRange: false,
    });
    expect(parseFlags('-np,   --parallel N\n--no-kv-offload\n--image-max-tokens N')).toEqual({
      kvUnified: false,
      kvUnifiedPerSlot: false,
      imageTokenRange: false,
    });
  });

  it('asks the built llama-server which flags it has (skips without a binary)', async (context) => {
    const binary = await findLlamaServerBinary(null);
    if (!binary) {
      console.warn('[test/engine/parallelism] SKIPPED: no llama-server binary (npm run build:llama-server)');
      context.skip();
      return;
    }
    const flags = await llamaServerFlags(binary.path);
    // The build cache holds the llama.cpp bundled with node-llama-cpp 3.21.1, which has both flags.
    if (binary.source === 'cache')
      expect(flags).toEqual({ kvUnified: true, kvUnifiedPerSlot: true, imageTokenRange: true });
    else expect(typeof flags.kvUnified).toBe('boolean');
    // A binary that cannot run reports neither, so the sidecar starts without them.
    expect(await llamaServerFlags('/nonexistent/llama-server')).toEqual({
      kvUnified: false,
      kvUnifiedPerSlot: false,
      imageTokenRange: false,
    });
  });
});
