// Pieces both in-process engines share: image preparation for a case, context-budget checks, result assembly.
import { EngineError, type AuditInput, type AuditOptions, type AuditResult, type EngineKind } from './engine';
import { caseTaskText } from './guardtrace-input';
import { ImageAspectRatioError, ImagePrepError, prepareImage, toDataUri } from './image-prep';
import { parseVerdict } from './verdict-parser';

export const DEFAULT_MAX_NEW_TOKENS = 2000;
export const DEFAULT_CONTEXT_SIZE = 8192;

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
    const img = await prepareImage(input.image.bytes, maxPixels, format);
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
    throw err;
  }
}

export function throwIfAborted(signal: AbortSignal | undefined, caseId: string): void {
  if (signal?.aborted) throw new EngineError('aborted', `Audit of case ${caseId} was cancelled.`, { caseId });
}

/**
 * Throws case_too_long when prompt + the generation budget cannot fit the context, naming the part that is too long.
 * Never truncates: a truncated trace would be judged on text the moderator cannot see.
 */
export function assertFitsContext(args: {
  input: AuditInput;
  promptTokens: number;
  contextSize: number;
  maxNewTokens: number;
  countTokens: (text: string) => number;
  visionTokens: number;
}): void {
  const { input, promptTokens, contextSize, maxNewTokens } = args;
  if (promptTokens + maxNewTokens <= contextSize) return;
  const parts = {
    query: args.countTokens(input.query),
    thinking: args.countTokens(input.thinking),
    response: args.countTokens(input.response),
  };
  const longest = (Object.keys(parts) as Array<keyof typeof parts>).sort((a, b) => parts[b] - parts[a])[0];
  const fixed = promptTokens - parts.query - parts.thinking - parts.response;
  const budget = contextSize - maxNewTokens - fixed;
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
  prompt: { sha256: string; hashOk: boolean };
  options: AuditOptions;
  rawOutput: string;
  imageMissing: boolean;
  promptTokens: number;
  cachedPromptTokens: number;
  generatedTokens: number;
  promptMs: number;
  generateMs: number;
  totalMs: number;
}): AuditResult {
  return {
    rawOutput: args.rawOutput,
    verdict: parseVerdict(args.rawOutput),
    imageMissing: args.imageMissing,
    engine: args.engine,
    modelId: args.modelId,
    promptSha256: args.prompt.sha256,
    promptHashOk: args.prompt.hashOk,
    strictFormat: args.options.strictFormat ?? false,
    promptTokens: args.promptTokens,
    cachedPromptTokens: args.cachedPromptTokens,
    generatedTokens: args.generatedTokens,
    timings: { promptMs: args.promptMs, generateMs: args.generateMs, totalMs: args.totalMs },
  };
}

export { caseTaskText };
