// What EngineManager hands an in-process engine once the model folder has been validated.
import type { VerdictContext } from './audit-common';
import type { ModelFacts } from './model-folder';

export interface InProcessEngineConfig {
  modelPath: string;
  mmprojPath: string | null;
  mmprojSizeBytes?: number;
  facts: ModelFacts;
  modelId: string;
  /** The guard-model profile, its prompt, the decoding settings (context size included) and the files' provenance. */
  verdict: VerdictContext;
  threads?: number;
  gpu: 'auto' | false;
  maxPixels: number;
  warnings: string[];
  /** Evaluate the system turn at load so the first case reuses it too (default true). */
  warmSystemPrompt?: boolean;
  /** Reuse the KV of the longest common prompt prefix between cases (default true; false only to measure it). */
  prefixReuse?: boolean;
  /**
   * Cases decoded together (Settings.parallelism at load, `EngineLoadRequest.parallel`; default 1). node-llama-cpp
   * opens that many sequences; llama.node stays at one (docs/engine.md, "Cases in flight").
   */
  parallel?: number;
}
