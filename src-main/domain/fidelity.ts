// The published GuardTrace evaluation's recipe, as plain values the core, the CLI and the renderer share (no native
// imports here: the renderer uses it too). docs/fidelity.md maps each step to the code and the test that proves it.

/** One vision token covers 28×28 pixels after Qwen2.5-VL's 2×2 patch merge. */
export const VISION_TOKEN_PIXELS = 28;
/** qwen-vl-utils' MIN_PIXELS and MAX_PIXELS (also Qwen2.5-VL's preprocessor_config.json): the reference budget. */
export const REFERENCE_MIN_PIXELS = 4 * 28 * 28;
export const REFERENCE_MAX_PIXELS = 16384 * 28 * 28;
/** The smaller budget offered for slow CPUs (≤ 1,280 vision tokens); verdicts then differ from the reference. */
export const SMALL_MAX_PIXELS = 1280 * 28 * 28;

export function visionTokenLimits(maxPixels: number = REFERENCE_MAX_PIXELS): { min: number; max: number } {
  const perToken = VISION_TOKEN_PIXELS * VISION_TOKEN_PIXELS;
  return { min: REFERENCE_MIN_PIXELS / perToken, max: Math.floor(maxPixels / perToken) };
}

export function isReferenceImageBudget(maxPixels: number): boolean {
  return maxPixels === REFERENCE_MAX_PIXELS;
}

/** One line for the Audit runner and the CLI when a smaller budget is in force; null at the reference budget. */
export function imageBudgetWarning(maxPixels: number): string | null {
  if (isReferenceImageBudget(maxPixels)) return null;
  const tokens = visionTokenLimits(maxPixels).max;
  return (
    `Image budget ${tokens.toLocaleString('en-US')} vision tokens (max pixels ${maxPixels}) is ` +
    `${maxPixels < REFERENCE_MAX_PIXELS ? 'below' : 'not'} the reference 16,384: verdicts on image cases will differ ` +
    `from the published evaluation. Set Max pixels to ${REFERENCE_MAX_PIXELS} (Settings) to run the reference recipe.`
  );
}
