import os from 'node:os';
import { ENGINE_SELECTIONS } from '@domain/engine';
import { BLUR_STRENGTHS, DEFAULT_EXPOSURE_LIMITS, DEFAULT_IMAGE_DISPLAY } from '@domain/exposure';
import { DEFAULT_GOLD_RATE } from '@domain/gold';
import { THEMES, type Settings } from '@domain/settings';
import { DEFAULT_PARALLEL_CASES } from '../engine/parallelism';
import { ApiError } from './errors';
import { DEFAULT_MAX_PIXELS } from '../engine/image-prep';

// Qwen2.5-VL: one vision token per 28×28 pixels after merging. The default is the published evaluation's budget
// (qwen-vl-utils: up to 16,384 tokens); a smaller one (e.g. 1280·28·28 for slow CPUs) is the user's explicit choice,
// and the Audit runner and the CLI then say that image verdicts will differ from the reference.
export { DEFAULT_MAX_PIXELS } from '../engine/image-prep';

export function defaultSettings(): Settings {
  return {
    reviewer: safeUserName(),
    blurImages: true,
    grayscaleImages: true,
    theme: 'system',
    maxPixels: DEFAULT_MAX_PIXELS,
    parallelism: DEFAULT_PARALLEL_CASES,
    strictFormat: false,
    modelDir: null,
    engine: 'auto',
    llamaServerPath: null,
    openai: null,
    blindReviewers: [],
    goldRate: DEFAULT_GOLD_RATE,
    exposureLimits: { ...DEFAULT_EXPOSURE_LIMITS },
    imageDisplay: { ...DEFAULT_IMAGE_DISPLAY },
    practice: null,
    locateFlaggedInBatch: false,
  };
}

function safeUserName(): string {
  try {
    return os.userInfo().username || 'reviewer';
  } catch {
    return 'reviewer';
  }
}

/** Rejects values the app could not use, naming the field, before anything is stored. */
export function validateSettingsPatch(patch: Partial<Settings>): Partial<Settings> {
  const fail = (field: string, why: string) => {
    throw new ApiError('invalid', `Setting "${field}" ${why}.`);
  };
  if (patch.reviewer !== undefined && (typeof patch.reviewer !== 'string' || !patch.reviewer.trim()))
    fail('reviewer', 'must be a non-empty name');
  if (
    patch.maxPixels !== undefined &&
    (!Number.isInteger(patch.maxPixels) || patch.maxPixels < 8 * 28 * 28 || patch.maxPixels > 16384 * 28 * 28)
  ) {
    fail('maxPixels', `must be a whole number between ${8 * 28 * 28} and ${16384 * 28 * 28}`);
  }
  if (
    patch.parallelism !== undefined &&
    (!Number.isInteger(patch.parallelism) || patch.parallelism < 1 || patch.parallelism > 16)
  )
    fail('parallelism', 'must be 1 to 16');
  if (
    patch.blindReviewers !== undefined &&
    (!Array.isArray(patch.blindReviewers) || !patch.blindReviewers.every((r) => typeof r === 'string' && r.trim()))
  )
    fail('blindReviewers', 'must be a list of reviewer names');
  if (
    patch.goldRate !== undefined &&
    !(Number.isFinite(patch.goldRate) && patch.goldRate >= 0 && patch.goldRate <= 0.5)
  )
    fail('goldRate', 'must be between 0 and 0.5 (0.05 = 5% of each queue)');
  if (patch.exposureLimits !== undefined) {
    const limits = patch.exposureLimits;
    for (const [field, value] of Object.entries(limits))
      if (!Number.isInteger(value) || value < 1 || value > 100_000)
        fail(`exposureLimits.${field}`, 'must be a whole number from 1 to 100000');
    if (limits.softImages > limits.hardImages) fail('exposureLimits.softImages', 'must not exceed hardImages');
    if (limits.softHarmful > limits.hardHarmful) fail('exposureLimits.softHarmful', 'must not exceed hardHarmful');
    if (limits.breakMinutes > 240) fail('exposureLimits.breakMinutes', 'must be at most 240');
  }
  if (
    patch.imageDisplay !== undefined &&
    !(BLUR_STRENGTHS as readonly string[]).includes(patch.imageDisplay.blurStrength)
  )
    fail('imageDisplay.blurStrength', `must be one of ${BLUR_STRENGTHS.join(', ')}`);
  if (patch.theme !== undefined && !(THEMES as readonly string[]).includes(patch.theme))
    fail('theme', 'must be system, dark or light');
  if (patch.engine !== undefined && !(ENGINE_SELECTIONS as readonly string[]).includes(patch.engine))
    fail('engine', 'is not a known engine');
  if (patch.openai) {
    try {
      new URL(patch.openai.baseUrl);
    } catch {
      fail('openai.baseUrl', `is not a URL (${JSON.stringify(patch.openai.baseUrl)})`);
    }
    if (!patch.openai.model?.trim()) fail('openai.model', 'must name the served model');
  }
  return patch;
}
