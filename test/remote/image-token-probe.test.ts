// Verdicts claim the reference only when the server was seen to keep smart_resize's image size. The servers here are
// real node:http servers that count prompt tokens per image from the PNG's own size: one as the reference processor
// does (smart_resize's tokens), one as a llama-server without --image-min-tokens does (libmtmd's minimum of 8
// tokens), and one that reports no usage. The real llama-server path is in llama-server.test.ts.
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { serveLocal } from '../helpers/local-http';
import { SHARED_PROMPT_FILE } from '../helpers/shared-dir';
import { testVerdictContext } from '../helpers/verdict-context';
import { DEFAULT_PROFILE } from '@main/engine/profiles';
import { loadSystemPrompt } from '@main/engine/profiles/profile';
import { OpenAiCompatibleEngine } from '@main/engine/openai/openai-engine';
import { imageTokenMismatch, referenceVisionTokens } from '@main/engine/openai/image-token-probe';
import { solidColourPng } from '@main/engine/openai/solid-png';
import { REFERENCE_MAX_PIXELS, REFERENCE_MIN_PIXELS } from '@main/engine/image-prep';

const skipReason = existsSync(SHARED_PROMPT_FILE)
  ? null
  : `the published prompt ${SHARED_PROMPT_FILE} is missing: a verdict is the reference only with it`;
if (skipReason) console.warn(`[test/remote/image-token-probe] SKIPPED: ${skipReason}`);

/** Width and height from a base64 PNG data URI's IHDR chunk. */
function pngSize(dataUri: string): { width: number; height: number } {
  const bytes = Buffer.from(dataUri.slice(dataUri.indexOf(',') + 1), 'base64');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

type VisionTokens = (size: { width: number; height: number }) => number;
const asReference: VisionTokens = ({ width, height }) => (width / 28) * (height / 28);
/** libmtmd's Qwen2.5-VL default range starts at 8 tokens: smaller images are enlarged. */
const resizesAgain: VisionTokens = (size) => Math.max(8, asReference(size));

function vllmLike(visionTokens: VisionTokens, reportUsage = true) {
  return (req: IncomingMessage, res: ServerResponse, body: string) => {
    const parsed = body ? (JSON.parse(body) as { stream?: boolean; messages?: unknown }) : {};
    if (req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ data: [{ id: 'guardtrace-vl-3b', max_model_len: 10192 }] }));
    }
    const uris = [...JSON.stringify(parsed.messages).matchAll(/data:image\/png;base64,[A-Za-z0-9+/=]+/g)].map(
      (m) => m[0],
    );
    // The chat template frames each image with <|vision_start|> and <|vision_end|>.
    const imageTokens = uris.reduce((sum, uri) => sum + 2 + visionTokens(pngSize(uri)), 0);
    const usage = reportUsage ? { prompt_tokens: 20 + imageTokens, completion_tokens: 3 } : undefined;
    res.writeHead(200, { 'content-type': parsed.stream ? 'text/event-stream' : 'application/json' });
    if (!parsed.stream) return res.end(JSON.stringify({ choices: [{ message: { content: 'Red' } }], usage }));
    for (const piece of ['“Analysis”: ok', '\n“Judgment”: ', '0'])
      res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: piece } }] })}\n\n`);
    if (usage) res.write(`data: ${JSON.stringify({ choices: [], usage })}\n\n`);
    res.end('data: [DONE]\n\n');
  };
}

const base = { caseId: 'c', query: 'q', thinking: 't', response: 'r', imageMissing: false };
const imageCase = { ...base, caseId: 'img', image: { bytes: solidColourPng(60, 50, [10, 20, 30]), mime: 'image/png' } };
const textCase = { ...base, caseId: 'txt', image: null };

async function connect(handler: ReturnType<typeof vllmLike>) {
  const prompt = await loadSystemPrompt(SHARED_PROMPT_FILE, DEFAULT_PROFILE);
  return OpenAiCompatibleEngine.connect({
    baseUrl: `${await serveLocal(handler)}/v1`,
    model: 'guardtrace-vl-3b',
    verdict: testVerdictContext(prompt),
  });
}

describe('smart_resize token counts of the probe images', () => {
  it('are 4 and 8 vision tokens, sizes smart_resize keeps', () => {
    expect(referenceVisionTokens({ width: 56, height: 56 }, REFERENCE_MIN_PIXELS, REFERENCE_MAX_PIXELS)).toBe(4);
    expect(referenceVisionTokens({ width: 112, height: 56 }, REFERENCE_MIN_PIXELS, REFERENCE_MAX_PIXELS)).toBe(8);
    expect(referenceVisionTokens({ width: 60, height: 50 }, REFERENCE_MIN_PIXELS, REFERENCE_MAX_PIXELS)).toBe(4);
  });

  it('a per-case count that differs from the reference input names both numbers', () => {
    expect(imageTokenMismatch({ expectedPromptTokens: 1200, reportedPromptTokens: 1200, visionTokens: 64 })).toBe(null);
    expect(imageTokenMismatch({ expectedPromptTokens: 1200, reportedPromptTokens: undefined, visionTokens: 64 })).toBe(
      null,
    );
    expect(imageTokenMismatch({ expectedPromptTokens: 1200, reportedPromptTokens: 1130, visionTokens: 64 })).toMatch(
      /counted 1130 prompt tokens.*has 1200 \(64 vision tokens by smart_resize\): it resized the image again/,
    );
  });
});

describe.skipIf(skipReason !== null)('image-token probe at load', () => {
  it('a server that keeps the size: image and text verdicts are the reference, no warning', async () => {
    const engine = await connect(vllmLike(asReference));
    expect(engine.info().warnings.join('\n')).not.toMatch(/image cases will not be marked/);
    const image = await engine.audit(imageCase);
    const text = await engine.audit(textCase);
    expect(image.imageMissing).toBe(false);
    expect(image.provenance).toMatchObject({ reference: true });
    expect(image.provenance?.notReferenceReason).toBeUndefined();
    expect(text.provenance).toMatchObject({ reference: true });
    await engine.dispose();
  });

  it('a server that resizes again: image verdicts record reference false with the reason, text verdicts do not', async () => {
    const engine = await connect(vllmLike(resizesAgain));
    // 56×56 becomes 8 tokens there, so the two probe images differ by 0 instead of 8 − 4.
    expect(engine.info().warnings.join('\n')).toMatch(
      /image cases will not be marked as the reference recipe: the server resizes images again: 112×56 and 56×56 test images differ by 0 prompt tokens, smart_resize gives 8 − 4 = 4/,
    );
    const image = await engine.audit(imageCase);
    expect(image.provenance?.reference).toBe(false);
    expect(image.provenance?.notReferenceReason).toMatch(/resizes images again.*--image-min-tokens 4/);
    const text = await engine.audit(textCase);
    expect(text.provenance?.reference).toBe(true);
    expect(text.provenance?.notReferenceReason).toBeUndefined();
    await engine.dispose();
  });

  it('a server that reports no usage: image verdicts are not the reference, because nothing was checked', async () => {
    const engine = await connect(vllmLike(asReference, false));
    const image = await engine.audit(imageCase);
    expect(image.provenance?.reference).toBe(false);
    expect(image.provenance?.notReferenceReason).toMatch(/could not be checked/);
    await engine.dispose();
  });
});
