// The user's settings, stored as JSON values in the `settings` table.
import type { EngineSelection } from './engine';
import type { ExposureLimits, ImageDisplay } from './exposure';
import type { PracticeInfo } from './practice';

export const THEMES = ['system', 'dark', 'light'] as const;
export type Theme = (typeof THEMES)[number];

export interface Settings {
  reviewer: string;
  blurImages: boolean;
  grayscaleImages: boolean;
  theme: Theme;
  maxPixels: number;
  parallelism: number;
  strictFormat: boolean;
  modelDir: string | null;
  /** Which engine to use; 'auto' picks GPU in-process, else the llama-server sidecar, else the prebuilt in-process build. */
  engine: EngineSelection;
  /** A llama-server binary the user chose (own build or llama.cpp release); null = look in the build cache. */
  llamaServerPath: string | null;
  /** OpenAI-compatible server (vLLM, llama-server). The API key is never stored here (see 'secrets.setApiKey'). */
  openai: { baseUrl: string; model: string; allowInsecureRemote: boolean } | null;
  /** Reviewers who review blind: the model's verdict, analysis and the gold label stay hidden until their first choice. */
  blindReviewers: string[];
  /** Share of each reviewer's queue (packs) that is gold, set by the lead (docs/quality.md). */
  goldRate: number;
  /** Exposure limits, set by the lead on the command line (`guardtrace limits`); the window cannot change them. */
  exposureLimits: ExposureLimits;
  /** The moderator's own choices for how images are shown. */
  imageDisplay: ImageDisplay;
  /** Set only in a practice workspace (guardtrace practice create); the window cannot set it. */
  practice: PracticeInfo | null;
  /**
   * After an audit batch, search the first flagged step of every case it judged 0.5 or 1 (docs/step-localization.md):
   * up to ⌈log₂ N⌉ + 1 extra generations per such case. Off by default.
   */
  locateFlaggedInBatch: boolean;
}
