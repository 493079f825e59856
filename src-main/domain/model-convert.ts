// `guardtrace model convert` / Settings → Model → "Use a Hugging Face folder": the output types and the progress
// record, shared by the converter (engine/hf-convert/), the CLI and the window.

/** The language model's type: F16 and Q8_0 written directly, the K-quants by llama-quantize from F16. */
export const MODEL_OUTPUT_TYPES = ['f16', 'q8_0', 'q4_k_m', 'q5_k_m', 'q6_k'] as const;
export type ModelOutputType = (typeof MODEL_OUTPUT_TYPES)[number];

/** The vision projector's type (it stays F16 unless asked). */
export const MMPROJ_OUTPUT_TYPES = ['f16', 'f32'] as const;
export type MmprojOutputType = (typeof MMPROJ_OUTPUT_TYPES)[number];

/** `model.convert`: the paths come from the window's dialogs (api/renderer-policy.ts). */
export interface ModelConvertRequest {
  hfDir: string;
  outDir: string;
  modelType?: ModelOutputType;
  mmprojType?: MmprojOutputType;
  promptFile?: string;
}

export interface ModelConvertResult {
  outDir: string;
  modelPath: string;
  mmprojPath: string;
  seconds: number;
  warnings: string[];
  /** The model check the app runs before loading, on the finished folder (errors only for a missing prompt). */
  check: { ok: boolean; errors: string[]; warnings: string[] };
}

export type ConvertPhase = 'checking' | 'checksums' | 'model' | 'mmproj' | 'quantize' | 'verifying' | 'done';

export interface ConvertProgress {
  phase: ConvertPhase;
  /** Work units done and in all (bytes hashed + elements converted); monotonic across phases. */
  done: number;
  total: number;
  elapsedSeconds: number;
  /** null until enough is done to estimate. */
  etaSeconds: number | null;
}
