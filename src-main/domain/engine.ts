// The model runtimes as the rest of the app sees them: which one, what it loaded, and its state.

/** The runtime that produced a verdict (the sidecar is an 'openai' engine on this machine). */
/** 'demo': the sample workspace's hand-written verdicts (domain/demo.ts); no engine ever runs as 'demo'. */
export type EngineKind = 'llama.node' | 'node-llama-cpp' | 'openai' | 'demo';

/**
 * What the user can ask for: a runtime, the llama-server sidecar (which answers as 'openai'), or 'auto'
 * (GPU in-process, else the sidecar, else the prebuilt in-process build).
 */
export const ENGINE_SELECTIONS = ['auto', 'llama.node', 'node-llama-cpp', 'sidecar', 'openai'] as const;
export type EngineSelection = (typeof ENGINE_SELECTIONS)[number];

/** The decoding every request of a loaded model uses (the profile's reference recipe unless overridden). */
export interface DecodingSettings {
  repetitionPenalty: number;
  repetitionPenaltySource: 'generation_config.json' | 'profile default';
  maxPromptTokens: number;
  maxNewTokens: number;
  /** Prompt budget + generation budget, so a prompt of maxPromptTokens still gets maxNewTokens. */
  contextSize: number;
}

export interface EngineInfo {
  engine: EngineKind;
  profileId: string;
  /** The decoding every request uses (repetition penalty, context = prompt budget + generation budget). */
  decoding: DecodingSettings;
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
  /** Threads an in-process runtime computes with on the CPU; absent for servers (they choose their own). */
  cpuThreads?: number;
}

export interface ModelFolderCheck {
  ok: boolean;
  modelPath: string | null;
  mmprojPath: string | null;
  promptPath: string | null;
  promptSha256: string | null;
  promptHashOk: boolean;
  errors: string[];
  warnings: string[];
}

export interface OpenAiServerRequest {
  baseUrl: string;
  model: string;
  apiKeyEnv?: string;
  allowInsecureRemote?: boolean;
}

export interface EngineLoadRequest {
  modelDir?: string;
  engine?: EngineSelection;
  /** The user accepted a prompt whose sha256 differs from GuardTrace's; recorded with every verdict. */
  acceptPromptMismatch?: boolean;
  /** Guard-model profile id (default 'guardtrace-vl'). */
  profile?: string;
  openai?: OpenAiServerRequest;
  /** Cases decoded together: llama-server slots (-np) or requests in flight to a server (default Settings.parallelism). */
  parallel?: number;
}

export type EngineState =
  | { state: 'unloaded' }
  | { state: 'loading'; modelDir: string }
  | { state: 'loaded'; info: EngineInfo }
  | { state: 'error'; message: string };
