// What produced a stored verdict, and how sure the model was. Written by the engines, stored with every verdict,
// carried by exports. Plain data: no runtime dependencies.

/** p(level) at the position where the model wrote its judgment, keyed by the level as a string ("0", "0.5", "1"). */
export type LevelProbs = Record<string, number>;

export interface VerdictProvenance {
  /** The guard-model profile (prompt, parser, levels) the verdict was made with. */
  profileId: string;
  engine: string;
  /** sha256 of the whole language-model file; null where the file is not on this machine (a remote server). */
  modelSha256: string | null;
  mmprojSha256: string | null;
  promptSha256: string;
  /** Largest image area in pixels sent to the vision encoder. */
  imageMaxPixels: number;
  repetitionPenalty: number;
  /** Where the repetition penalty came from: the model folder's generation_config.json, or the profile's default. */
  repetitionPenaltySource: 'generation_config.json' | 'profile default';
  /**
   * Which tokens the penalty looked at. HF's reference: the whole sequence, prompt included. llama.node 1.7.15 only
   * penalises the tokens it generated (measured, docs/engine.md), so its verdicts are never the reference recipe.
   */
  repetitionPenaltyWindow: 'whole sequence' | 'generated tokens only';
  contextSize: number;
  maxPromptTokens: number;
  maxNewTokens: number;
  appVersion: string;
  /** True when every setting above matches the profile's reference recipe (and the files are known). */
  reference: boolean;
  /** A demo verdict of the sample workspace: written by hand, no model produced it (domain/demo.ts). */
  demo?: boolean;
  /**
   * Why a verdict whose settings match the recipe is still not the reference, when a check at load or on the case
   * says so (a server that resizes images again, or whose image tokens could not be checked). Absent otherwise.
   */
  notReferenceReason?: string;
}
