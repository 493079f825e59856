// Does the server keep the image size the app prepared? The app resizes every image with smart_resize exactly as the
// reference does and sends the result; a server that resizes again (a llama-server without --image-min-tokens /
// --image-max-tokens uses libmtmd's own 8..4,096-token range; a vLLM with other min/max pixels) feeds the model a
// different number of vision tokens, and its verdicts are then not the published evaluation's, whatever else matches.
//
// Probe: the vision probe's 56×56 image (4 vision tokens by smart_resize) and a 112×56 one (8 tokens), both sizes that
// smart_resize leaves as they are, sent as the same one-token request. The difference of the two prompt-token counts
// the server reports is the difference of the vision tokens it used: markers, template and text cancel out, so the
// check does not depend on how the server frames an image. libmtmd's defaults enlarge the 56×56 image to at least 8
// tokens (the difference then drops to 0 or below). Both images are tiny, so the probe costs two small vision-encoder
// runs at load. What it cannot see is a lower maximum (a server that shrinks only large images): the per-case check
// for llama.cpp servers (`imageTokenMismatch`) covers those cases as they come.
import { VISION_TOKEN_PIXELS } from '@domain/fidelity';
import { smartResize } from '../image-prep';
import { promptTokens, visionProbeRequest, VISION_PROBE_IMAGE, type PostJson } from './vision-probe';

export interface ImageTokenCheck {
  /** True when the server's counts were read and compared. */
  checked: boolean;
  /** True when the server used exactly smart_resize's vision tokens; false when it differs or could not be checked. */
  matchesReference: boolean;
  /** What was sent and what the server reported, in words (stored as the reason when it does not match). */
  evidence: string;
}

/** The second probe image: a valid smart_resize size with twice the vision tokens of the first. */
export const IMAGE_TOKEN_PROBE_IMAGE = { width: 112, height: 56 } as const;

/** Vision tokens smart_resize gives an image of this size within the profile's pixel range. */
export function referenceVisionTokens(
  size: { width: number; height: number },
  minPixels: number,
  maxPixels: number,
): number {
  const resized = smartResize(size.height, size.width, maxPixels, minPixels);
  return (resized.height / VISION_TOKEN_PIXELS) * (resized.width / VISION_TOKEN_PIXELS);
}

/**
 * Sends the second probe image and compares. `firstImagePromptTokens` is the vision probe's count for its 56×56
 * image (null when the server reported no usage).
 */
export async function probeImageTokens(
  postJson: PostJson,
  model: string,
  firstImagePromptTokens: number | null,
  pixelRange: { minPixels: number; maxPixels: number },
): Promise<ImageTokenCheck> {
  const small = VISION_PROBE_IMAGE;
  const large = IMAGE_TOKEN_PROBE_IMAGE;
  const expectedSmall = referenceVisionTokens(small, pixelRange.minPixels, pixelRange.maxPixels);
  const expectedLarge = referenceVisionTokens(large, pixelRange.minPixels, pixelRange.maxPixels);
  const largeTokens = promptTokens(await postJson(visionProbeRequest(model, large)));
  if (firstImagePromptTokens === null || largeTokens === null) {
    return {
      checked: false,
      matchesReference: false,
      evidence:
        'the server reports no prompt-token usage, so whether it resizes images again (and feeds the model other ' +
        'vision tokens than smart_resize) could not be checked',
    };
  }
  const reported = largeTokens - firstImagePromptTokens;
  const expected = expectedLarge - expectedSmall;
  const sizes = `${large.width}×${large.height} and ${small.width}×${small.height} test images`;
  if (reported !== expected) {
    return {
      checked: true,
      matchesReference: false,
      evidence:
        `the server resizes images again: ${sizes} differ by ${reported} prompt tokens, smart_resize gives ` +
        `${expectedLarge} − ${expectedSmall} = ${expected} vision tokens (a llama-server needs --image-min-tokens 4 ` +
        `--image-max-tokens 16384; vLLM needs --mm-processor-kwargs '{"min_pixels": ${pixelRange.minPixels}, ` +
        `"max_pixels": ${pixelRange.maxPixels}}')`,
    };
  }
  return {
    checked: true,
    matchesReference: true,
    evidence: `${sizes} differ by ${reported} prompt tokens, as smart_resize's ${expectedLarge} − ${expectedSmall}`,
  };
}

/**
 * The per-case check where the engine knows the exact prompt length (llama.cpp servers: /tokenize plus smart_resize's
 * vision tokens): null when the server's count matches, else the reason the verdict is not the reference.
 */
export function imageTokenMismatch(args: {
  expectedPromptTokens: number;
  reportedPromptTokens: number | undefined;
  visionTokens: number;
}): string | null {
  const { expectedPromptTokens, reportedPromptTokens, visionTokens } = args;
  if (reportedPromptTokens === undefined || reportedPromptTokens === expectedPromptTokens) return null;
  return (
    `the server counted ${reportedPromptTokens} prompt tokens for this case, the reference input has ` +
    `${expectedPromptTokens} (${visionTokens} vision tokens by smart_resize): it resized the image again`
  );
}
