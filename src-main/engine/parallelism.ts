// How many cases are decoded together, and what each engine can actually do with that number.
import type { DecodingSettings } from '@domain/engine';
import type { Engine } from './engine';

/**
 * The default number of cases in flight (Settings → parallelism, CLI --parallel), a documented rule rather than a
 * probe: 2. On a CPU a case is about half prompt evaluation (compute-bound: two sequences share the same cores, so
 * nothing is gained) and half generation (memory-bound: two sequences read the weights once per step, so the second
 * sequence's tokens cost little). Two slots therefore raise cases/hour without doubling the wait for the case the
 * moderator has open; more slots only lengthen that wait on a CPU. The rule holds for every engine that decodes
 * several cases together (llama-server slots, node-llama-cpp sequences: both batch the sequences' tokens into one
 * llama.cpp decode); llama.node stays at one case. On a GPU server raise it (4–8): see docs/engine.md for the
 * measured table (`npm run bench:engine`).
 */
export const DEFAULT_PARALLEL_CASES = 2;
export const MAX_PARALLEL_CASES = 16;

/**
 * Context a llama-server with N slots needs: each slot gets the profile's per-sequence context (prompt budget
 * 8,192 + generation budget 2,000 for GuardTrace-VL, `decoding.contextSize`), so no case fits alone but fails in
 * a batch.
 */
export function sidecarContextSize(slots: number, decoding: DecodingSettings): number {
  return clampParallelCases(slots) * decoding.contextSize;
}

export function clampParallelCases(requested: number | undefined): number {
  if (requested === undefined || !Number.isFinite(requested)) return 1;
  return Math.max(1, Math.min(Math.floor(requested), MAX_PARALLEL_CASES));
}

/**
 * Cases an engine decodes at the same time, as it reports them: the OpenAI-compatible engine its request limit (a
 * remote server, or the local llama-server sidecar with one slot per case), node-llama-cpp its sequences (one per
 * case), llama.node one (it serialises audits behind a lock, so a second worker would only hold a claimed job without
 * decoding it).
 */
export function engineParallelSlots(engine: Engine): number {
  return clampParallelCases(engine.info().parallelSlots ?? 1);
}
