// The tokenizer the converter writes into the GGUF splits text exactly as the checkpoint's tokenizer.json does:
// llama.cpp (through node-llama-cpp, vocabulary only) against @huggingface/tokenizers reading the same files.
// The checkpoint's BPE has merges learned on the GuardTrace prompt and the sample cases (bpe-train.ts), so words,
// spaces, digits, punctuation runs and newlines all go through real merges, not only single bytes.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { getLlama, LlamaLogLevel, type LlamaModel } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertHuggingFaceFolder } from '@main/engine/hf-convert/convert';
import { renderQwenChat } from '@main/engine/profiles/chatml';
import { SAMPLE_SET_DIR } from '../helpers/shared-dir';
import { tempDir } from '../helpers/temp-dir';
import { trainMerges } from '../models/bpe-train';
import { hfTensorsFromTinyGguf, writeTinyHfCheckpoint } from '../models/tiny-hf-checkpoint';
import {
  SHARED_PROMPT_FILE,
  TINY_LM,
  TINY_VISION,
  writeQwen25vlMmproj,
  writeQwen2vlLanguageModel,
} from '../models/tiny-gguf';

const root = tempDir('gt-convert-tokenizer-');
let hf: Tokenizer;
let model: LlamaModel;
let texts: string[];

beforeAll(async () => {
  const prompt = await readFile(SHARED_PROMPT_FILE, 'utf8');
  const cases = JSON.parse(await readFile(path.join(SAMPLE_SET_DIR, 'cases.json'), 'utf8')) as Array<
    Record<string, string | null>
  >;
  const caseTexts = cases.flatMap((c) => [c.question, c.thinking, c.response].filter((t): t is string => !!t));
  const { merges } = trainMerges(`${prompt}\n${caseTexts.join('\n')}`, prompt, 1_400, 1_500);
  expect(merges.length).toBeGreaterThan(300);

  const lmPath = path.join(root, 'lm-f32.gguf');
  const mmPath = path.join(root, 'mm-f32.gguf');
  await writeQwen2vlLanguageModel(lmPath, TINY_LM, 5, 'tokenizer test', merges);
  await writeQwen25vlMmproj(mmPath, TINY_VISION, 6);
  const hfDir = path.join(root, 'hf');
  await writeTinyHfCheckpoint(hfDir, await hfTensorsFromTinyGguf(lmPath, mmPath), {
    lm: TINY_LM,
    vision: TINY_VISION,
    layout: { modern: true, dtype: 'BF16', shards: 1 },
    merges,
  });
  const converted = await convertHuggingFaceFolder({ hfDir, outDir: path.join(root, 'out'), modelType: 'f16' });

  hf = new Tokenizer(
    JSON.parse(await readFile(path.join(hfDir, 'tokenizer.json'), 'utf8')) as object,
    JSON.parse(await readFile(path.join(hfDir, 'tokenizer_config.json'), 'utf8')) as object,
  );
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, progressLogs: false });
  model = await llama.loadModel({ modelPath: converted.modelPath, vocabOnly: true });

  texts = [
    prompt,
    ...caseTexts,
    renderQwenChat([
      { role: 'system', content: prompt.slice(0, 400) },
      { role: 'user', content: `${caseTexts[0]}\n<|vision_start|><|image_pad|><|vision_end|>` },
    ]),
    "I've been 'told he's there, 'RE you sure? 'M not sure I'll make it, 'D you like some tea? We'Ve a'lL",
    '3 33 333 3333 33333 333333 3.3 3..3 3...3 ------======= ......!!!!!!??????',
    '\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n',
    '🚀 (normal) 😶‍🌫️ ✅ 🦙🦙 我想在apple工作1314151天～ нещо на Български កាន់តែពិសេសអាច',
    'trailing spaces   ',
  ];
}, 300_000);

afterAll(async () => {
  await model?.dispose();
});

describe('converted tokenizer vs tokenizer.json', () => {
  it('every test text tokenizes to the same ids in llama.cpp and in @huggingface/tokenizers', () => {
    let compared = 0;
    for (const text of texts) {
      const fromHf = hf.encode(text, { add_special_tokens: false }).ids;
      const fromGguf = [...model.tokenize(text, true)].map(Number);
      expect({ text: text.slice(0, 60), ids: fromGguf }).toEqual({ text: text.slice(0, 60), ids: fromHf });
      compared += fromHf.length;
    }
    // The merges matter: the prompt is far shorter in tokens than in bytes.
    const promptIds = hf.encode(texts[0], { add_special_tokens: false }).ids;
    expect(promptIds.length).toBeLessThan(Buffer.byteLength(texts[0]) / 2);
    expect(compared).toBeGreaterThan(2_000);
  });

  it('special tokens are single control tokens on both sides, and ids decode to the same text', () => {
    for (const special of ['<|im_start|>', '<|im_end|>', '<|vision_start|>', '<|image_pad|>', '<|endoftext|>']) {
      const id = hf.encode(special, { add_special_tokens: false }).ids;
      expect(id).toHaveLength(1);
      expect([...model.tokenize(special, true)].map(Number)).toEqual(id);
    }
    for (const text of texts.slice(1, 4)) {
      const ids = hf.encode(text, { add_special_tokens: false }).ids;
      expect(model.detokenize(ids as never)).toBe(hf.decode(ids));
    }
  });
});
