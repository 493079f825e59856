// The one interface every model runtime sits behind (llama.node, node-llama-cpp, OpenAI-compatible server).
// The job runner, the CLI and the handler map only ever talk to this.
import type { Category, RiskLevel } from '../domain/types';

export type EngineKind = 'llama.node' | 'node-llama-cpp' | 'openai';

/** What the engine needs from a case. Images arrive as bytes from the store, never as renderer paths. */
export interface AuditInput {
  caseId: string;
  query: string;
  thinking: string;
  response: string;
  /** Image bytes when the case has a loadable image. */
  image: { bytes: Uint8Array; mime: string } | null;
  /** The case named an image that could not be loaded: the input then carries 'Image missing or unavailable'. */
  imageMissing: boolean;
}

export interface AuditOptions {
  signal?: AbortSignal;
  /** Streamed text pieces of the model's output as they are generated. */
  onToken?: (text: string) => void;
  /** Constrain decoding with a grammar to the `"Analysis": … "Judgment": …` structure. */
  strictFormat?: boolean;
  /** Defaults to 2000 (the GuardTrace reference). Tests use a few tokens. */
  maxNewTokens?: number;
}

export type ParsedVerdict =
  | { status: 'ok'; risk: RiskLevel; category: Category | null; analysis: string }
  | { status: 'parse_failure'; error: string; category: Category | null; analysis: string | null };

export interface AuditResult {
  rawOutput: string;
  verdict: ParsedVerdict;
  imageMissing: boolean;
  engine: EngineKind;
  /** Stable identity of the model (name + quantization + file hash prefix), used for job/audit uniqueness. */
  modelId: string;
  promptSha256: string;
  promptHashOk: boolean;
  strictFormat: boolean;
  promptTokens: number;
  /** Prompt tokens reused from a cached prefix (system prompt KV reuse) rather than evaluated. */
  cachedPromptTokens: number;
  generatedTokens: number;
  timings: { promptMs: number; generateMs: number; totalMs: number };
}

export interface EngineInfo {
  engine: EngineKind;
  modelId: string;
  modelName: string;
  architecture: string;
  quantization: string;
  sizeBytes: number;
  contextLength: number;
  trainedContextLength?: number;
  hasVision: boolean;
  /** 'cuda' | 'vulkan' | 'metal' | 'cpu' … and why a GPU was not used, when it was not. */
  gpu: { backend: string; reason?: string };
  /** Which native build is in use, and its known CPU penalty (e.g. prebuilt llama.node has no AVX code). */
  build: { name: string; version: string; cpuPenalty?: string };
  promptSha256: string;
  promptHashOk: boolean;
  /** Where case data goes: 'this machine' for in-process engines, the host for remote ones. */
  dataLeavesMachine: false | { host: string };
  warnings: string[];
  /** Cases this engine decodes at the same time (server slots / request limit); absent = one. */
  parallelSlots?: number;
}

export interface Engine {
  readonly kind: EngineKind;
  info(): EngineInfo;
  audit(input: AuditInput, options?: AuditOptions): Promise<AuditResult>;
  dispose(): Promise<void>;
}

/** Errors an engine throws carry a code the UI/CLI can act on and a message a moderator can read. */
export type EngineErrorCode =
  | 'model_folder_invalid'
  | 'prompt_hash_mismatch'
  | 'mmproj_mismatch'
  | 'case_too_long'
  | 'aborted'
  | 'load_failed'
  | 'generation_failed'
  | 'unreachable'
  | 'tls'
  | 'unauthorized'
  | 'model_not_found'
  | 'no_vision'
  | 'server_error';

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'EngineError';
  }
}
