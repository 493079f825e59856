// Pieces every engine shares: image preparation for a case, context-budget checks, result assembly (parsing by the
// profile, the truncated state, confidence and provenance).
import type { LevelProbs, VerdictProvenance } from '@domain/verdict-provenance';
import { APP_VERSION } from './app-version';
import { EngineError, type AuditInput, type AuditOptions, type AuditResult, type EngineKind } from './engine';
import { imageDecoder, ImageDecoderProcessError } from './image-decoding';
import { ImageAspectRatioError, ImagePrepError, toDataUri } from './image-prep';
import type { JudgmentStop } from './judgment-stop';
import type { LevelProbsResult } from './profiles/level-probs';
import type { DecodingSettings, GuardModelProfile, SystemPrompt } from './profiles/profile';

/**
 * What every verdict of one load shares: the profile, its prompt, the decoding settings and the provenance of the
 * files. Built once at load (the model files are hashed then) and handed to the engine.
 */
export interface VerdictContext {
  profile: GuardModelProfile;
  prompt: SystemPrompt;
  decoding: DecodingSettings;
  /** What the files and prompt were; decoding fields come from `decoding`, per-audit ones from the audit. */
  provenance: Pick<
    VerdictProvenance,
    'profileId' | 'modelSha256' | 'mmprojSha256' | 'promptSha256' | 'imageMaxPixels' | 'appVersion'
  >;
}

export function verdictContext(args: {
  profile: GuardModelProfile;
  prompt: SystemPrompt;
  decoding: DecodingSettings;
  modelSha256: string | null;
  mmprojSha256: string | null;
  imageMaxPixels: number;
}): VerdictContext {
  return {
    profile: args.profile,
    prompt: args.prompt,
    decoding: args.decoding,
    provenance: {
      profileId: args.profile.id,
      modelSha256: args.modelSha256,
      mmprojSha256: args.mmprojSha256,
      promptSha256: args.prompt.sha256,
      imageMaxPixels: args.imageMaxPixels,
      appVersion: APP_VERSION,
    },
  };
}

/** True when a verdict was made exactly as the profile's published evaluation makes it. */
export function isReferenceRecipe(
  provenance: Omit<VerdictProvenance, 'reference'>,
  profile: GuardModelProfile,
  strictFormat: boolean,
): boolean {
  const r = profile.recipe;
  return (
    !strictFormat &&
    provenance.promptSha256 === profile.prompt.sha256 &&
    provenance.imageMaxPixels === r.imageMaxPixels &&
    provenance.maxPromptTokens === r.maxPromptTokens &&
    provenance.maxNewTokens === r.maxNewTokens &&
    provenance.contextSize >= r.maxPromptTokens + r.maxNewTokens &&
    provenance.repetitionPenaltyWindow === 'whole sequence' &&
    (provenance.repetitionPenaltySource === 'generation_config.json' ||
      provenance.repetitionPenalty === r.repetitionPenalty)
  );
}

/** The provenance of one verdict. */
export function verdictProvenance(
  ctx: VerdictContext,
  engine: string,
  maxNewTokens: number,
  strictFormat: boolean,
  repetitionPenaltyWindow: VerdictProvenance['repetitionPenaltyWindow'] = 'whole sequence',
): VerdictProvenance {
  const { decoding } = ctx;
  const base = {
    ...ctx.provenance,
    engine,
    repetitionPenalty: decoding.repetitionPenalty,
    repetitionPenaltySource: decoding.repetitionPenaltySource,
    repetitionPenaltyWindow,
    contextSize: decoding.contextSize,
    maxPromptTokens: decoding.maxPromptTokens,
    maxNewTokens,
  };
  return { ...base, reference: isReferenceRecipe(base, ctx.profile, strictFormat) };
}

/** A verdict a check found to differ from the reference input claims no reference, and says why. */
export function withNotReferenceReason(provenance: VerdictProvenance, reason: string | null): VerdictProvenance {
  return reason === null ? provenance : { ...provenance, reference: false, notReferenceReason: reason };
}

export interface PreparedCaseImage {
  dataUri: string | null;
  visionTokens: number;
  imageMissing: boolean;
  /** Why an image that was supplied could not be used (it then counts as missing). */
  note: string | null;
}

/** An image whose bytes cannot be decoded is treated like a missing image: the auditor is told so, and it is recorded. */
export async function prepareCaseImage(
  input: AuditInput,
  maxPixels: number,
  format: 'png' | 'ppm' = 'png',
): Promise<PreparedCaseImage> {
  if (!input.image) return { dataUri: null, visionTokens: 0, imageMissing: input.imageMissing, note: null };
  try {
    // Decoded in the image-decoding process, never here: the bytes are untrusted (docs/security.md, "Images").
    const img = await imageDecoder().prepare(input.image.bytes, { maxPixels, format });
    return { dataUri: toDataUri(img.bytes, img.mime), visionTokens: img.visionTokens, imageMissing: false, note: null };
  } catch (err) {
    if (err instanceof ImagePrepError) {
      return { dataUri: null, visionTokens: 0, imageMissing: true, note: `case ${input.caseId}: ${err.message}` };
    }
    // The reference refuses such a case outright; auditing it as "image missing" would invent a verdict it never gives.
    if (err instanceof ImageAspectRatioError)
      throw new EngineError('image_refused', `Case ${input.caseId}: ${err.message}`, {
        caseId: input.caseId,
        width: err.width,
        height: err.height,
      });
    // The image crashed, hung or subverted the decoder: this case fails, with the reason; it is never audited
    // as if it had no image, and no retry is spent on it. A decoder that cannot start at all stops the batch.
    if (err instanceof ImageDecoderProcessError && err.reason === 'start_failed')
      throw new EngineError('load_failed', `Case ${input.caseId}: ${err.message}.`, { caseId: input.caseId });
    if (err instanceof ImageDecoderProcessError && err.reason !== 'disposed')
      throw new EngineError(
        'image_refused',
        `Case ${input.caseId}: ${err.message}. Re-encode the image and re-import the case.`,
        { caseId: input.caseId, decoder: err.reason },
      );
    throw err;
  }
}

/** Every engine checks before each costly step, so a cancel or pause never starts work it would throw away. */
export function throwIfAborted(signal: AbortSignal | undefined, caseId: string): void {
  if (signal?.aborted) throw new EngineError('aborted', `Audit of case ${caseId} was cancelled.`, { caseId });
}

/** True when a prompt of this many tokens is within the prompt budget and leaves room for the generation budget. */
export function fitsContext(promptTokens: number, decoding: DecodingSettings, maxNewTokens: number): boolean {
  return promptTokens <= decoding.maxPromptTokens && promptTokens + maxNewTokens <= decoding.contextSize;
}

/**
 * Throws case_too_long when the prompt exceeds the prompt budget or cannot fit the context with the generation
 * budget, naming the part that is too long. Never truncates: a truncated trace would be judged on text the moderator
 * cannot see.
 */
export function assertFitsContext(args: {
  input: AuditInput;
  promptTokens: number;
  decoding: DecodingSettings;
  maxNewTokens: number;
  countTokens: (text: string) => number;
  visionTokens: number;
}): void {
  const { input, promptTokens, decoding, maxNewTokens } = args;
  if (fitsContext(promptTokens, decoding, maxNewTokens)) return;
  const contextSize = Math.min(decoding.contextSize, decoding.maxPromptTokens + maxNewTokens);
  const parts = {
    query: args.countTokens(input.query),
    thinking: args.countTokens(input.thinking),
    response: args.countTokens(input.response),
  };
  const longest = (Object.keys(parts) as Array<keyof typeof parts>).sort((a, b) => parts[b] - parts[a])[0];
  const fixed = promptTokens - parts.query - parts.thinking - parts.response;
  const budget = Math.min(decoding.maxPromptTokens, decoding.contextSize - maxNewTokens) - fixed;
  throw new EngineError(
    'case_too_long',
    `Case ${input.caseId} is too long for the ${contextSize}-token context: the ${longest} has ${parts[longest]} tokens ` +
      `(query ${parts.query}, thinking ${parts.thinking}, response ${parts.response}; system prompt, template` +
      `${args.visionTokens ? ` and ${args.visionTokens} image tokens` : ''} take ${fixed}, and ${maxNewTokens} are reserved for the verdict), ` +
      `so the three parts together may use at most ${Math.max(0, budget)} tokens. It is not truncated; shorten the ${longest} or audit it with a larger context.`,
    { caseId: input.caseId, part: longest, partTokens: parts, promptTokens, contextSize, maxNewTokens },
  );
}

export function buildAuditResult(args: {
  engine: EngineKind;
  modelId: string;
  context: VerdictContext;
  options: AuditOptions;
  rawOutput: string;
  /** Generation stopped at the token limit (or the context filled up) rather than at end of text or the judgment. */
  stoppedOnLength: boolean;
  /** How an audit with stopAtJudgment ended (JudgmentWatch.outcome). */
  judgmentStop?: JudgmentStop;
  confidence: LevelProbsResult;
  /** Which tokens the runtime's repetition penalty covers (default: the whole sequence, as HF). */
  repetitionPenaltyWindow?: VerdictProvenance['repetitionPenaltyWindow'];
  /** Set when a check found this verdict's input differs from the reference's (e.g. the image was resized again). */
  notReferenceReason?: string | null;
  imageMissing: boolean;
  promptTokens: number;
  cachedPromptTokens: number;
  generatedTokens: number;
  promptMs: number;
  generateMs: number;
  totalMs: number;
}): AuditResult {
  const { context } = args;
  const strictFormat = args.options.strictFormat ?? false;
  const maxNewTokens = args.options.maxNewTokens ?? context.decoding.maxNewTokens;
  const parsed = context.profile.parse(args.rawOutput);
  const verdict: AuditResult['verdict'] = args.stoppedOnLength
    ? {
        status: 'truncated',
        error: `The output stopped at the ${maxNewTokens}-token limit before it ended, so it is not a verdict${
          parsed.status === 'ok' ? ` (a judgment of ${parsed.risk} was written before the cut)` : ''
        }. Re-audit with a larger limit.`,
        category: parsed.category,
        analysis: parsed.analysis,
      }
    : parsed;
  const levelProbs: LevelProbs | null = args.confidence.levelProbs;
  return {
    profileId: context.profile.id,
    rawOutput: args.rawOutput,
    verdict,
    levelProbs,
    levelProbsNote: levelProbs === null ? (args.confidence.note ?? 'not available') : args.confidence.note,
    provenance: withNotReferenceReason(
      verdictProvenance(context, args.engine, maxNewTokens, strictFormat, args.repetitionPenaltyWindow),
      args.notReferenceReason ?? null,
    ),
    imageMissing: args.imageMissing,
    engine: args.engine,
    modelId: args.modelId,
    promptSha256: context.prompt.sha256,
    promptHashOk: context.prompt.hashOk,
    strictFormat,
    promptTokens: args.promptTokens,
    cachedPromptTokens: args.cachedPromptTokens,
    generatedTokens: args.generatedTokens,
    ...(args.judgmentStop ? { judgmentStop: args.judgmentStop } : {}),
    timings: { promptMs: args.promptMs, generateMs: args.generateMs, totalMs: args.totalMs },
  };
}
