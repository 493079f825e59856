// The sample workspace (first run, `guardtrace demo`): its verdicts are written by hand, and every place a verdict's
// origin is recorded says so. Plain data: the renderer reads these too.

/** The engine a demo verdict names: no engine ran. */
export const DEMO_ENGINE = 'demo';
/** The model id a demo verdict carries (audits are unique per case, model and prompt). */
export const DEMO_MODEL_ID = 'demo verdicts (written by hand, not a model)';
/** No prompt was used; 64 zeros keep the column's shape without matching any real prompt. */
export const DEMO_PROMPT_SHA256 = '0'.repeat(64);

export interface SampleWorkspaceSummary {
  /** Sample cases in the set. */
  cases: number;
  /** New ones stored now (0 when the sample was already there). */
  imported: number;
  demoVerdicts: number;
  images: number;
}

/** Whether a stored verdict is a demo verdict (by its engine or its provenance). */
export function isDemoVerdict(verdict: { engine: string; provenance?: { demo?: boolean } | null }): boolean {
  return verdict.engine === DEMO_ENGINE || verdict.provenance?.demo === true;
}
