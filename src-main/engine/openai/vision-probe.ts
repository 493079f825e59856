// Does the server really read images? A text-only deployment (llama-server without --mmproj, a text model on vLLM)
// either rejects image parts or silently drops them, and GuardTrace would then judge image cases blind.
//
// Probe: the same one-token request twice, without and with a small solid-colour PNG, and compare the prompt token
// counts the server reports (usage.prompt_tokens). A vision server adds the image's tokens (Qwen2.5-VL: at least
// 4 merged patches plus the vision start/end markers); a server that drops the image adds none. Comparing token
// counts does not depend on what the model says, so it also works for random-weight test models and at temperature 0.
import { EngineError } from '../engine';
import { solidColourPng } from './solid-png';

export interface VisionProbeResult {
  hasVision: boolean;
  /** false when the server reports no token usage, so the answer could not be checked. */
  verified: boolean;
  evidence: string;
  textPromptTokens: number | null;
  imagePromptTokens: number | null;
}

export type PostJson = (body: unknown, signal?: AbortSignal) => Promise<unknown>;

const PROBE_QUESTION = 'What colour is this picture? Answer with one word.';
/** Fewer than this many extra prompt tokens means the image did not reach the model. */
const MIN_IMAGE_TOKENS = 4;

export function promptTokens(answer: unknown): number | null {
  const value = (answer as { usage?: { prompt_tokens?: unknown } } | null)?.usage?.prompt_tokens;
  return typeof value === 'number' ? value : null;
}

/** The probe's one-token request, with or without a solid-colour PNG of the given size (shared with image-token-probe). */
export function visionProbeRequest(model: string, image: { width: number; height: number } | null) {
  return {
    model,
    temperature: 0,
    max_tokens: 1,
    stream: false,
    messages: [
      {
        role: 'user',
        content: [
          ...(image
            ? [
                {
                  type: 'image_url',
                  image_url: {
                    url: `data:image/png;base64,${solidColourPng(image.width, image.height, [220, 30, 30]).toString('base64')}`,
                  },
                },
              ]
            : []),
          { type: 'text', text: PROBE_QUESTION },
        ],
      },
    ],
  };
}

/** The image of the vision probe: 56×56, one valid smart_resize size (4 vision tokens). */
export const VISION_PROBE_IMAGE = { width: 56, height: 56 } as const;

export async function probeVision(postJson: PostJson, model: string): Promise<VisionProbeResult> {
  const request = (withImage: boolean) => visionProbeRequest(model, withImage ? VISION_PROBE_IMAGE : null);

  const textPromptTokens = promptTokens(await postJson(request(false)));
  let imageAnswer: unknown;
  try {
    imageAnswer = await postJson(request(true));
  } catch (error) {
    if (
      error instanceof EngineError &&
      (error.code === 'no_vision' ||
        (typeof error.details.status === 'number' &&
          error.details.status >= 400 &&
          error.details.status < 500 &&
          error.code !== 'unauthorized'))
    ) {
      return {
        hasVision: false,
        verified: true,
        evidence: `a request with an image was refused (${error.message})`,
        textPromptTokens,
        imagePromptTokens: null,
      };
    }
    throw error;
  }
  const imagePromptTokens = promptTokens(imageAnswer);
  if (textPromptTokens === null || imagePromptTokens === null) {
    return {
      hasVision: true,
      verified: false,
      evidence: 'the server reports no token usage, so image input could not be verified',
      textPromptTokens,
      imagePromptTokens,
    };
  }
  const added = imagePromptTokens - textPromptTokens;
  if (added < MIN_IMAGE_TOKENS) {
    return {
      hasVision: false,
      verified: true,
      evidence: `a 56×56 test image added ${added} prompt tokens (${textPromptTokens} without, ${imagePromptTokens} with), so the server dropped it`,
      textPromptTokens,
      imagePromptTokens,
    };
  }
  return {
    hasVision: true,
    verified: true,
    evidence: `a 56×56 test image added ${added} prompt tokens`,
    textPromptTokens,
    imagePromptTokens,
  };
}
