// What EngineManager hands an in-process engine once the model folder has been validated.
import type { ModelFacts } from './model-folder';

export interface InProcessEngineConfig {
  modelPath: string;
  mmprojPath: string | null;
  mmprojSizeBytes?: number;
  facts: ModelFacts;
  modelId: string;
  systemPrompt: { text: string; sha256: string; hashOk: boolean };
  contextSize: number;
  threads?: number;
  gpu: 'auto' | false;
  maxPixels: number;
  warnings: string[];
  /** Evaluate the system turn at load so the first case reuses it too (default true). */
  warmSystemPrompt?: boolean;
  /** Reuse the KV of the longest common prompt prefix between cases (default true; false only to measure it). */
  prefixReuse?: boolean;
}
