// The one interface every model runtime sits behind (llama.node, node-llama-cpp, OpenAI-compatible server).
// The job runner, the CLI and the handler map only ever talk to this.
import type { AuditResult } from '@domain/audits';
import type { EngineInfo, EngineKind } from '@domain/engine';

// The engines' own vocabulary, re-exported so each runtime adapter imports its whole interface from one place.
export type { AuditResult, ParsedVerdict } from '@domain/audits';
export type { EngineInfo, EngineKind } from '@domain/engine';

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
  /** Defaults to the profile's reference budget (2000 for GuardTrace-VL). Tests use a few tokens. */
  maxNewTokens?: number;
  /**
   * For a caller that reads only the judgment (a step-localization probe): generation stops once the judgment is
   * written, and a profile with a judgmentFirstGrammar is asked for its judgment first (judgment-stop.ts).
   */
  stopAtJudgment?: boolean;
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
  /** The case's image is one the reference refuses (aspect ratio over 200:1). */
  | 'image_refused'
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
