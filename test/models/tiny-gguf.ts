// Deterministic random-weight Qwen2.5-VL models (language model `qwen2vl` + `qwen2.5vl_merger` projector).
// Random weights produce junk text, but they drive the real load → image encode → generate path in milliseconds,
// and the same generator writes the 3B-shaped benchmark model. Keys/tensors: llama.cpp src/llama-model.cpp (QWEN2VL),
// tools/mtmd/clip.cpp + clip-impl.h (PROJECTOR_TYPE_QWEN25VL); see /work/shared/notes/llama-runtimes.md.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GgmlType } from '@main/engine/gguf/gguf-types';
import { writeGguf, type GgufWriteTensor, type GgufWriteValue } from '@main/engine/gguf/gguf-writer';

import { REPO_ROOT, SHARED_PROMPT_FILE } from '../helpers/shared-dir';

export { REPO_ROOT, SHARED_PROMPT_FILE };

export interface TinyModelFolder {
  dir: string;
  modelPath: string;
  mmprojPath: string;
  promptPath: string;
}

export interface LmShape {
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nHeadKv: number;
  nFf: number;
  /** Vocabulary size; the tokenizer fills the rest with unused placeholder tokens when larger than the tiny BPE. */
  nVocab?: number;
  contextLength: number;
  ropeSections: [number, number, number, number];
  weightType: GgmlType.F32 | GgmlType.F16 | GgmlType.Q8_0;
}

export interface VisionShape {
  nEmbd: number;
  nFf: number;
  nLayer: number;
  nHead: number;
  imageSize: number;
  projectionDim: number;
  /** Weight matrices; norms, biases and the patch embedding stay F32. Default F32. */
  weightType?: GgmlType.F32 | GgmlType.F16;
}

export const TINY_LM: LmShape = {
  nEmbd: 64,
  nLayer: 2,
  nHead: 4,
  nHeadKv: 2,
  nFf: 128,
  contextLength: 32_768,
  ropeSections: [2, 3, 3, 0], // sums to head_dim/2 = 8
  weightType: GgmlType.F32,
};

export const TINY_VISION: VisionShape = { nEmbd: 64, nFf: 128, nLayer: 2, nHead: 4, imageSize: 112, projectionDim: 64 };

/** The real Qwen2.5-VL-3B vision tower (32 blocks, 1280 wide, full attention every 8th block). */
export const QWEN25VL_3B_VISION: VisionShape = {
  nEmbd: 1280,
  nFf: 3420,
  nLayer: 32,
  nHead: 16,
  imageSize: 560,
  projectionDim: 2048,
  weightType: GgmlType.F16,
};

/** The real Qwen2.5-VL-3B text shapes (config.json of Qwen/Qwen2.5-VL-3B-Instruct). */
export const QWEN25VL_3B_LM: LmShape = {
  nEmbd: 2048,
  nLayer: 36,
  nHead: 16,
  nHeadKv: 2,
  nFf: 11008,
  nVocab: 151_936,
  contextLength: 128_000,
  ropeSections: [16, 24, 24, 0],
  weightType: GgmlType.Q8_0,
};

/** The Qwen2-VL / Qwen2.5-VL chat template as shipped in tokenizer_config.json (what the converter copies into the GGUF). */
export const QWEN25VL_CHAT_TEMPLATE =
  "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}{% for message in messages %}{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n{% else %}{% for content in message['content'] %}{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}<|vision_start|><|image_pad|><|vision_end|>{% elif content['type'] == 'video' or 'video' in content %}{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

export const QWEN_SPECIAL_TOKENS = [
  '<|endoftext|>',
  '<|im_start|>',
  '<|im_end|>',
  '<|object_ref_start|>',
  '<|object_ref_end|>',
  '<|box_start|>',
  '<|box_end|>',
  '<|quad_start|>',
  '<|quad_end|>',
  '<|vision_start|>',
  '<|vision_end|>',
  '<|vision_pad|>',
  '<|image_pad|>',
  '<|video_pad|>',
] as const;

// A handful of merges so the BPE path is exercised; each merged token is added to the vocabulary.
const TINY_MERGES = [
  'Ġ t',
  'h e',
  'i n',
  'e r',
  'a n',
  'o n',
  'r e',
  'Ġ a',
  'Ġ s',
  'Ġ w',
  'Ġ c',
  'e n',
  'o r',
  'a t',
  'Ġt he',
];

/** GPT-2's reversible byte → printable-unicode map, which byte-level BPE vocabularies are spelled in. */
export function gpt2ByteChars(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const chars = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    chars[b] = printable.includes(b) ? String.fromCharCode(b) : String.fromCharCode(256 + extra++);
  }
  return chars;
}

export interface TinyTokenizer {
  tokens: string[];
  types: number[];
  merges: string[];
  specialIds: Record<(typeof QWEN_SPECIAL_TOKENS)[number], number>;
}

export function buildTokenizer(nVocab?: number, merges: string[] = TINY_MERGES): TinyTokenizer {
  const tokens = [...gpt2ByteChars()];
  const types = tokens.map(() => 1);
  const seen = new Set(tokens);
  for (const m of merges) {
    const merged = m.replace(' ', '');
    if (seen.has(merged)) continue;
    seen.add(merged);
    tokens.push(merged);
    types.push(1);
  }
  const target = nVocab ?? tokens.length + QWEN_SPECIAL_TOKENS.length;
  // Placeholder tokens keep the vocabulary at the real size for benchmarks; they are never produced by the BPE.
  for (let i = 0; tokens.length < target - QWEN_SPECIAL_TOKENS.length; i++) {
    tokens.push(`[unused${i}]`);
    types.push(5); // LLAMA_TOKEN_TYPE_UNUSED
  }
  const specialIds = {} as TinyTokenizer['specialIds'];
  for (const s of QWEN_SPECIAL_TOKENS) {
    specialIds[s] = tokens.length;
    tokens.push(s);
    types.push(3); // control
  }
  return { tokens, types, merges: [...merges], specialIds };
}

/** mulberry32: tiny, fast, deterministic. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashName(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Each tensor gets its own stream (seed ^ name hash) so fills are deterministic even when chunked. */
function randomTensor(
  name: string,
  dims: number[],
  type: GgufWriteTensor['type'],
  seed: number,
  scale: number,
): GgufWriteTensor {
  let next: (() => number) | null = null;
  return {
    name,
    dims,
    type,
    fill(out, start) {
      if (start === 0 || !next) next = rng(seed ^ hashName(name));
      for (let i = 0; i < out.length; i++) out[i] = (next() * 2 - 1) * scale;
    },
  };
}

function constTensor(name: string, dims: number[], value: number): GgufWriteTensor {
  return { name, dims, type: GgmlType.F32, fill: (out) => out.fill(value) };
}

export async function writeQwen2vlLanguageModel(
  file: string,
  shape: LmShape,
  seed = 1,
  name = 'GuardTrace tiny test model',
  merges?: string[],
): Promise<void> {
  const tok = buildTokenizer(shape.nVocab, merges);
  const nVocab = tok.tokens.length;
  const headDim = shape.nEmbd / shape.nHead;
  const kvDim = headDim * shape.nHeadKv;
  const fileType = shape.weightType === GgmlType.F32 ? 0 : shape.weightType === GgmlType.F16 ? 1 : 7;
  const meta: Array<[string, GgufWriteValue]> = [
    ['general.architecture', { type: 'string', value: 'qwen2vl' }],
    ['general.name', { type: 'string', value: name }],
    ['general.alignment', { type: 'u32', value: 32 }],
    ['general.file_type', { type: 'u32', value: fileType }],
    ['qwen2vl.context_length', { type: 'u32', value: shape.contextLength }],
    ['qwen2vl.embedding_length', { type: 'u32', value: shape.nEmbd }],
    ['qwen2vl.block_count', { type: 'u32', value: shape.nLayer }],
    ['qwen2vl.feed_forward_length', { type: 'u32', value: shape.nFf }],
    ['qwen2vl.attention.head_count', { type: 'u32', value: shape.nHead }],
    ['qwen2vl.attention.head_count_kv', { type: 'u32', value: shape.nHeadKv }],
    ['qwen2vl.rope.freq_base', { type: 'f32', value: 1_000_000 }],
    ['qwen2vl.attention.layer_norm_rms_epsilon', { type: 'f32', value: 1e-6 }],
    ['qwen2vl.rope.dimension_sections', { type: 'i32[]', value: [...shape.ropeSections] }],
    ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: 'string', value: 'qwen2' }],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: tok.tokens }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: tok.types }],
    ['tokenizer.ggml.merges', { type: 'string[]', value: tok.merges }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: tok.specialIds['<|endoftext|>'] }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: tok.specialIds['<|im_end|>'] }],
    ['tokenizer.ggml.padding_token_id', { type: 'u32', value: tok.specialIds['<|endoftext|>'] }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: false }],
    ['tokenizer.chat_template', { type: 'string', value: QWEN25VL_CHAT_TEMPLATE }],
  ];
  const w = shape.weightType;
  const s = 0.05;
  const tensors: GgufWriteTensor[] = [
    randomTensor('token_embd.weight', [shape.nEmbd, nVocab], w, seed, s),
    constTensor('output_norm.weight', [shape.nEmbd], 1),
  ];
  for (let l = 0; l < shape.nLayer; l++) {
    const p = `blk.${l}.`;
    tensors.push(
      constTensor(`${p}attn_norm.weight`, [shape.nEmbd], 1),
      randomTensor(`${p}attn_q.weight`, [shape.nEmbd, shape.nEmbd], w, seed, s),
      randomTensor(`${p}attn_q.bias`, [shape.nEmbd], GgmlType.F32, seed, s),
      randomTensor(`${p}attn_k.weight`, [shape.nEmbd, kvDim], w, seed, s),
      randomTensor(`${p}attn_k.bias`, [kvDim], GgmlType.F32, seed, s),
      randomTensor(`${p}attn_v.weight`, [shape.nEmbd, kvDim], w, seed, s),
      randomTensor(`${p}attn_v.bias`, [kvDim], GgmlType.F32, seed, s),
      randomTensor(`${p}attn_output.weight`, [shape.nEmbd, shape.nEmbd], w, seed, s),
      constTensor(`${p}ffn_norm.weight`, [shape.nEmbd], 1),
      randomTensor(`${p}ffn_gate.weight`, [shape.nEmbd, shape.nFf], w, seed, s),
      randomTensor(`${p}ffn_up.weight`, [shape.nEmbd, shape.nFf], w, seed, s),
      randomTensor(`${p}ffn_down.weight`, [shape.nFf, shape.nEmbd], w, seed, s),
    );
  }
  await writeGguf(file, meta, tensors);
}

export async function writeQwen25vlMmproj(file: string, shape: VisionShape, seed = 2): Promise<void> {
  const W = shape.weightType ?? GgmlType.F32;
  const E = shape.nEmbd;
  const F = shape.nFf;
  const P = 14;
  const meta: Array<[string, GgufWriteValue]> = [
    ['general.architecture', { type: 'string', value: 'clip' }],
    ['general.name', { type: 'string', value: 'GuardTrace tiny test projector' }],
    ['general.alignment', { type: 'u32', value: 32 }],
    ['general.file_type', { type: 'u32', value: W === GgmlType.F16 ? 1 : 0 }],
    ['clip.projector_type', { type: 'string', value: 'qwen2.5vl_merger' }],
    ['clip.has_vision_encoder', { type: 'bool', value: true }],
    ['clip.has_audio_encoder', { type: 'bool', value: false }],
    ['clip.use_silu', { type: 'bool', value: true }],
    ['clip.vision.image_size', { type: 'u32', value: shape.imageSize }],
    ['clip.vision.patch_size', { type: 'u32', value: P }],
    ['clip.vision.embedding_length', { type: 'u32', value: E }],
    ['clip.vision.feed_forward_length', { type: 'u32', value: F }],
    ['clip.vision.block_count', { type: 'u32', value: shape.nLayer }],
    ['clip.vision.projection_dim', { type: 'u32', value: shape.projectionDim }],
    ['clip.vision.attention.head_count', { type: 'u32', value: shape.nHead }],
    ['clip.vision.attention.layer_norm_epsilon', { type: 'f32', value: 1e-6 }],
    ['clip.vision.spatial_merge_size', { type: 'u32', value: 2 }],
    ['clip.vision.n_wa_pattern', { type: 'u32', value: shape.nLayer >= 8 ? 8 : 2 }],
    ['clip.vision.image_mean', { type: 'f32[]', value: [0.48145466, 0.4578275, 0.40821073] }],
    ['clip.vision.image_std', { type: 'f32[]', value: [0.26862954, 0.26130258, 0.27577711] }],
  ];
  const s = 0.05;
  const f32 = GgmlType.F32;
  const tensors: GgufWriteTensor[] = [
    randomTensor('v.patch_embd.weight', [P, P, 3, E], f32, seed, s),
    randomTensor('v.patch_embd.weight.1', [P, P, 3, E], f32, seed, s),
  ];
  for (let l = 0; l < shape.nLayer; l++) {
    const p = `v.blk.${l}.`;
    tensors.push(
      constTensor(`${p}ln1.weight`, [E], 1),
      constTensor(`${p}ln2.weight`, [E], 1),
      ...(['attn_q', 'attn_k', 'attn_v', 'attn_out'] as const).flatMap((n) => [
        randomTensor(`${p}${n}.weight`, [E, E], W, seed, s),
        randomTensor(`${p}${n}.bias`, [E], f32, seed, s),
      ]),
      randomTensor(`${p}ffn_up.weight`, [E, F], W, seed, s),
      randomTensor(`${p}ffn_up.bias`, [F], f32, seed, s),
      randomTensor(`${p}ffn_gate.weight`, [E, F], W, seed, s),
      randomTensor(`${p}ffn_gate.bias`, [F], f32, seed, s),
      randomTensor(`${p}ffn_down.weight`, [F, E], W, seed, s),
      randomTensor(`${p}ffn_down.bias`, [E], f32, seed, s),
    );
  }
  tensors.push(
    constTensor('v.post_ln.weight', [E], 1),
    randomTensor('mm.0.weight', [4 * E, 4 * E], W, seed, s),
    randomTensor('mm.0.bias', [4 * E], f32, seed, s),
    randomTensor('mm.2.weight', [4 * E, shape.projectionDim], W, seed, s),
    randomTensor('mm.2.bias', [shape.projectionDim], f32, seed, s),
  );
  await writeGguf(file, meta, tensors);
}

export const TINY_MODEL_FILE = 'guardtrace-tiny-qwen2vl-F32.gguf';
export const TINY_MMPROJ_FILE = 'mmproj-guardtrace-tiny-F32.gguf';

/** Deterministic: same seed → byte-identical files. promptFile defaults to the shared GuardTrace prompt (test/helpers/shared-dir.ts says where it is looked for). */
export async function writeTinyModelFolder(
  dir: string,
  opts: {
    promptFile?: string;
    /** Written under this name (default qta_pormpt.txt, GuardTrace-VL's); a test profile names its own. */
    promptFileName?: string;
    seed?: number;
    withMmproj?: boolean;
    mmprojProjectionDim?: number;
    /** The language model's weight matrices (default F32); Q8_0 is what users download, and takes other CPU paths. */
    lmWeightType?: LmShape['weightType'];
    /** generation_config.json contents; default Qwen2.5-VL-Instruct's repetition_penalty 1.05; null writes none. */
    generationConfig?: Record<string, unknown> | null;
  } = {},
): Promise<TinyModelFolder> {
  const seed = opts.seed ?? 1;
  await mkdir(dir, { recursive: true });
  const modelPath = path.join(dir, TINY_MODEL_FILE);
  const mmprojPath = path.join(dir, TINY_MMPROJ_FILE);
  const promptPath = path.join(dir, opts.promptFileName ?? 'qta_pormpt.txt');
  await writeQwen2vlLanguageModel(modelPath, { ...TINY_LM, weightType: opts.lmWeightType ?? TINY_LM.weightType }, seed);
  if (opts.withMmproj !== false) {
    await writeQwen25vlMmproj(
      mmprojPath,
      { ...TINY_VISION, projectionDim: opts.mmprojProjectionDim ?? TINY_LM.nEmbd },
      seed + 1,
    );
  }
  // read+write rather than copyFile: the shared prompt is read-only, and a copy keeping that mode could not be rewritten.
  await writeFile(promptPath, await readFile(opts.promptFile ?? SHARED_PROMPT_FILE));
  const generationConfig = opts.generationConfig === undefined ? { repetition_penalty: 1.05 } : opts.generationConfig;
  if (generationConfig !== null)
    await writeFile(path.join(dir, 'generation_config.json'), JSON.stringify(generationConfig, null, 2));
  return { dir, modelPath, mmprojPath, promptPath };
}
