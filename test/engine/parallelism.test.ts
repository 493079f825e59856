// Sizing of parallel audits: flags read from llama-server's help, per-slot context, and the clamp on cases in flight.
import { describe, expect, it } from 'vitest';
import { clampParallelCases, DEFAULT_PARALLEL_CASES, slotContextSize } from '../../src-main/engine/parallelism';
import { findLlamaServerBinary } from '../../src-main/engine/sidecar/llama-server-binary';
import { llamaServerFlags, parseFlags } from '../../src-main/engine/sidecar/llama-server-flags';

describe('parallel audit sizing', () => {
  it('gives each slot room for an 8,192-token prompt and 2,000 new tokens', () => {
    expect(slotContextSize()).toBe(10_192);
    expect(slotContextSize(4096)).toBe(6096);
  });

  it('clamps cases in flight to 1..16 whole cases', () => {
    expect(clampParallelCases(undefined)).toBe(1);
    expect(clampParallelCases(0)).toBe(1);
    expect(clampParallelCases(3.7)).toBe(3);
    expect(clampParallelCases(99)).toBe(16);
    expect(clampParallelCases(Number.NaN)).toBe(1);
    expect(DEFAULT_PARALLEL_CASES).toBe(2);
  });

  it('reads --kv-unified and --kv-unified-per-slot from the help text, and only those spellings', () => {
    const recent = [
      '-np,   --parallel N                     number of server slots (default: -1)',
      '-kvu,  --kv-unified, -no-kvu, --no-kv-unified',
      '--kv-unified-per-slot N                 context limit per parallel slot (default: unset)',
    ].join('\n');
    expect(parseFlags(recent)).toEqual({ kvUnified: true, kvUnifiedPerSlot: true });
    expect(parseFlags('-kvu,  --kv-unified                     use single unified KV buffer')).toEqual({
      kvUnified: true,
      kvUnifiedPerSlot: false,
    });
    expect(parseFlags('-np,   --parallel N\n--no-kv-offload')).toEqual({ kvUnified: false, kvUnifiedPerSlot: false });
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
    if (binary.source === 'cache') expect(flags).toEqual({ kvUnified: true, kvUnifiedPerSlot: true });
    else expect(typeof flags.kvUnified).toBe('boolean');
    // A binary that cannot run reports neither, so the sidecar starts without them.
    expect(await llamaServerFlags('/nonexistent/llama-server')).toEqual({ kvUnified: false, kvUnifiedPerSlot: false });
  });
});
