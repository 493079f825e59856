// What goes into the two GGUF files: every metadata key and every tensor (its GGUF name, shape, type and where
// its values come from), decided before a byte is written, so an unknown tensor or a wrong shape stops the
// conversion at once. Each rule cites the llama.cpp converter line it follows, at commit 80fb11ac7 (the source
// node-llama-cpp 3.21.1 bundles); docs/model-setup.md has the full table.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { MmprojOutputType, ModelOutputType } from '@domain/model-convert';
import { GgmlType } from '../gguf/gguf-types';
import type { GgufWriteValue } from '../gguf/gguf-writer';
import { Q8_0_BLOCK } from '../gguf/ggml-encoding';
import { ConvertError } from './convert-error';
import { readJsonFile, type HfCheckpoint, type Json } from './hf-checkpoint';
import type { SafetensorsTensor } from './safetensors';
import type { GgufVocab } from './tokenizer';

export const LLAMA_CPP_COMMIT = '80fb11ac73e66d89eae2c6a91d8a77428fa733ed';

export type { MmprojOutputType, ModelOutputType } from '@domain/model-convert';

/** llama_ftype values (general.file_type) of the types written here. */
export const FILE_TYPE = { f32: 0, f16: 1, q8_0: 7 } as const;

/** Which elements of the source tensor a GGUF tensor takes. */
export type Selection =
  | { kind: 'all' }
  /** A contiguous slice along the outermost dimension (the q, k, v thirds of a fused qkv). */
  | { kind: 'slice'; startElement: number }
  /** One temporal frame of the Conv3D patch embedding: torch [E, C, T, kh, kw] → [E, C, kh, kw] at t. */
  | { kind: 'frame'; t: number; frames: number; frameElements: number };

export interface PlannedTensor {
  name: string;
  /** ggml order (innermost first). */
  dims: number[];
  type: GgmlType.F32 | GgmlType.F16 | GgmlType.Q8_0;
  source: SafetensorsTensor;
  selection: Selection;
}

export interface PlannedFile {
  metadata: Array<[string, GgufWriteValue]>;
  tensors: PlannedTensor[];
}

export interface ConversionPlan {
  model: PlannedFile;
  mmproj: PlannedFile;
  warnings: string[];
  /** preprocessor_config.json (and processor_config.json when present), for the checksum record. */
  files: string[];
}

function invalid(message: string): ConvertError {
  return new ConvertError('invalid_checkpoint', message);
}

function num(obj: Json, key: string, file: string, what = 'config'): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw invalid(`${file}: ${what} key "${key}" is ${JSON.stringify(v ?? null)}, expected a number`);
  }
  return v;
}

function int(obj: Json, key: string, file: string, what = 'config'): number {
  const v = num(obj, key, file, what);
  if (!Number.isInteger(v) || v <= 0)
    throw invalid(`${file}: ${what} key "${key}" is ${v}, expected a positive integer`);
  return v;
}

const u32 = (value: number): GgufWriteValue => ({ type: 'u32', value });
const f32 = (value: number): GgufWriteValue => ({ type: 'f32', value });

/**
 * The tensor type prepare_tensors (conversion/base.py:918-988) gives a tensor: 1-D tensors and *_norm.weight stay
 * F32 (base.py:935); anything not ending in .weight stays F32 (base.py:970); otherwise the file type, and Q8_0 falls back to F16 when the
 * innermost dimension is not a multiple of 32 (gguf-py quants.py: QuantError → "falling back to F16").
 */
function weightType(
  name: string,
  dims: number[],
  fileType: 'f32' | 'f16' | 'q8_0',
  forced: GgmlType.F32 | GgmlType.F16 | null,
  warnings: string[],
): PlannedTensor['type'] {
  if (dims.length <= 1 || name.endsWith('_norm.weight')) return GgmlType.F32;
  if (forced !== null) return forced;
  if (!name.endsWith('.weight')) return GgmlType.F32;
  if (fileType === 'f32') return GgmlType.F32;
  if (fileType === 'f16') return GgmlType.F16;
  if (dims[0] % Q8_0_BLOCK !== 0) {
    warnings.push(
      `${name}: innermost dimension ${dims[0]} is not a multiple of 32; written as F16 (as llama.cpp's converter does)`,
    );
    return GgmlType.F16;
  }
  return GgmlType.Q8_0;
}

function checkShape(t: SafetensorsTensor, expected: number[]): void {
  if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
    throw invalid(
      `${t.file}: tensor "${t.name}" has shape [${t.shape.join(', ')}] but config.json implies [${expected.join(', ')}]; the weights and config.json are from different models`,
    );
  }
}

const reversed = (shape: number[]) => [...shape].reverse();

/** Renames as TextModel/ModelBase.filter_tensors do (conversion/base.py:577-586): `language_model.` is dropped. */
function textName(stored: string): string {
  return stored.replace('language_model.', '');
}

/**
 * transformers >= 4.52 saves `model.visual.*`. At 80fb11ac7 Qwen2VLVisionModel.filter_tensors
 * (conversion/qwenvl.py:89-95) keeps only names starting with `visual.`, so the reference would write a projector
 * without tensors; we map `model.visual.` → `visual.` as its Qwen3-VL class does (conversion/qwen3vl.py:74-75).
 */
function visionName(stored: string): string | null {
  if (stored.startsWith('model.visual.')) return stored.slice('model.'.length);
  if (stored.startsWith('visual.')) return stored;
  return null;
}

/** Tensors the reference drops by name (conversion/base.py:909-911). */
const IGNORED_SUFFIXES = ['.attention.masked_bias', '.attention.bias', '.rotary_emb.inv_freq'];

interface TextShape {
  nLayer: number;
  nEmbd: number;
  nFf: number;
  nHead: number;
  nHeadKv: number;
  nVocab: number;
  headDim: number;
}

// gguf-py/gguf/tensor_mapping.py: input_layernorm 193, q_proj 257, k_proj 278, v_proj 300, o_proj 326,
// post_attention_layernorm 403 (FFN_NORM), up_proj 500, gate_proj 571, down_proj 635.
const TEXT_BLOCK: Record<string, [gguf: string, shape: (s: TextShape) => number[]]> = {
  'input_layernorm.weight': ['attn_norm.weight', (s) => [s.nEmbd]],
  'self_attn.q_proj.weight': ['attn_q.weight', (s) => [s.nHead * s.headDim, s.nEmbd]],
  'self_attn.q_proj.bias': ['attn_q.bias', (s) => [s.nHead * s.headDim]],
  'self_attn.k_proj.weight': ['attn_k.weight', (s) => [s.nHeadKv * s.headDim, s.nEmbd]],
  'self_attn.k_proj.bias': ['attn_k.bias', (s) => [s.nHeadKv * s.headDim]],
  'self_attn.v_proj.weight': ['attn_v.weight', (s) => [s.nHeadKv * s.headDim, s.nEmbd]],
  'self_attn.v_proj.bias': ['attn_v.bias', (s) => [s.nHeadKv * s.headDim]],
  'self_attn.o_proj.weight': ['attn_output.weight', (s) => [s.nEmbd, s.nHead * s.headDim]],
  'post_attention_layernorm.weight': ['ffn_norm.weight', (s) => [s.nEmbd]],
  'mlp.gate_proj.weight': ['ffn_gate.weight', (s) => [s.nFf, s.nEmbd]],
  'mlp.up_proj.weight': ['ffn_up.weight', (s) => [s.nFf, s.nEmbd]],
  'mlp.down_proj.weight': ['ffn_down.weight', (s) => [s.nEmbd, s.nFf]],
};

function textTensor(name: string, shape: TextShape): { gguf: string; shape: number[] } | null {
  const { nEmbd, nVocab } = shape;
  if (name === 'model.embed_tokens.weight') return { gguf: 'token_embd.weight', shape: [nVocab, nEmbd] };
  if (name === 'model.norm.weight') return { gguf: 'output_norm.weight', shape: [nEmbd] };
  if (name === 'lm_head.weight') return { gguf: 'output.weight', shape: [nVocab, nEmbd] };
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(name);
  if (!m || Number(m[1]) >= shape.nLayer || String(Number(m[1])) !== m[1]) return null;
  const hit = TEXT_BLOCK[m[2]];
  return hit ? { gguf: `blk.${m[1]}.${hit[0]}`, shape: hit[1](shape) } : null;
}

export async function planConversion(
  ckpt: HfCheckpoint,
  vocab: GgufVocab,
  opts: { modelType: ModelOutputType; mmprojType: MmprojOutputType; name: string },
): Promise<ConversionPlan> {
  const { text, vision, config, configFile } = ckpt;
  const warnings: string[] = [];
  // K-quants are made by llama-quantize from the F16 file (llama.cpp's documented route).
  const lmFileType: 'f16' | 'q8_0' = opts.modelType === 'q8_0' ? 'q8_0' : 'f16';

  // ---- text model: TextModel.set_gguf_parameters (conversion/base.py:1272-1384) ----
  const nLayer = int(text, 'num_hidden_layers', configFile, 'text config');
  const nEmbd = int(text, 'hidden_size', configFile, 'text config');
  const nFf = int(text, 'intermediate_size', configFile, 'text config');
  const nHead = int(text, 'num_attention_heads', configFile, 'text config');
  const nHeadKv = int(text, 'num_key_value_heads', configFile, 'text config');
  const nCtx = int(text, 'max_position_embeddings', configFile, 'text config');
  const rmsEps = num(text, 'rms_norm_eps', configFile, 'text config');
  const headDim = typeof text.head_dim === 'number' ? text.head_dim : nEmbd / nHead;
  if (!Number.isInteger(headDim))
    throw invalid(`${configFile}: hidden_size ${nEmbd} is not divisible by num_attention_heads ${nHead}`);
  const rope = (text.rope_parameters ?? text.rope_scaling ?? {}) as Json;
  const ropeType = rope.rope_type ?? rope.type;
  if (ropeType !== undefined && ropeType !== 'default' && ropeType !== 'mrope') {
    throw invalid(
      `${configFile}: rope type ${JSON.stringify(ropeType)} is not supported by this converter (Qwen2.5-VL uses "mrope"/"default")`,
    );
  }
  const sections = rope.mrope_section;
  if (!Array.isArray(sections) || sections.length > 4 || !sections.every((s) => Number.isInteger(s) && s >= 0)) {
    throw invalid(
      `${configFile}: rope_scaling.mrope_section is ${JSON.stringify(sections ?? null)}; Qwen2.5-VL needs its multimodal rope sections (e.g. [16, 24, 24])`,
    );
  }
  const ropeSections = [...(sections as number[])];
  while (ropeSections.length < 4) ropeSections.push(0);
  if (ropeSections.reduce((a, b) => a + b, 0) * 2 !== headDim) {
    throw invalid(`${configFile}: mrope_section ${JSON.stringify(sections)} must sum to head_dim/2 = ${headDim / 2}`);
  }
  const ropeTheta =
    typeof rope.rope_theta === 'number' ? rope.rope_theta : num(text, 'rope_theta', configFile, 'text config');
  const nVocab = vocab.tokens.length;

  const lmMeta: Array<[string, GgufWriteValue]> = [
    ['general.architecture', { type: 'string', value: 'qwen2vl' }],
    ['general.type', { type: 'string', value: 'model' }],
    ['general.name', { type: 'string', value: opts.name }],
    ['qwen2vl.block_count', u32(nLayer)],
    ['qwen2vl.context_length', u32(nCtx)],
    ['qwen2vl.embedding_length', u32(nEmbd)],
    ['qwen2vl.feed_forward_length', u32(nFf)],
    ['qwen2vl.attention.head_count', u32(nHead)],
    ['qwen2vl.attention.head_count_kv', u32(nHeadKv)],
    ['qwen2vl.rope.dimension_sections', { type: 'i32[]', value: ropeSections }],
    ['qwen2vl.rope.freq_base', f32(ropeTheta)],
    ['qwen2vl.attention.layer_norm_rms_epsilon', f32(rmsEps)],
    ...(typeof text.head_dim === 'number'
      ? ([
          ['qwen2vl.attention.key_length', u32(text.head_dim)],
          ['qwen2vl.attention.value_length', u32(text.head_dim)],
        ] as Array<[string, GgufWriteValue]>)
      : []),
    ['general.file_type', u32(FILE_TYPE[lmFileType])],
    ['general.quantization_version', u32(2)],
    ...vocab.metadata,
  ];

  // ---- vision tower: MmprojModel + Qwen2VLVisionModel (conversion/base.py:2405-2566, conversion/qwenvl.py:43-120) ----
  const vFile = `${configFile} (vision_config)`;
  const E = int(vision, 'hidden_size', vFile);
  const F = int(vision, 'intermediate_size', vFile);
  const depth = int(vision, 'depth', vFile);
  const vHeads = int(vision, 'num_heads', vFile);
  const patch = int(vision, 'patch_size', vFile);
  const imageSize = typeof vision.image_size === 'number' ? vision.image_size : 560; // qwenvl.py:49
  const temporal = typeof vision.temporal_patch_size === 'number' ? vision.temporal_patch_size : 2;
  if (temporal !== 2)
    throw invalid(`${vFile}: temporal_patch_size ${temporal}; llama.cpp supports only 2 (qwenvl.py:116)`);
  const merge = typeof vision.spatial_merge_size === 'number' ? vision.spatial_merge_size : 2;
  if (merge !== 2) {
    throw invalid(
      `${vFile}: spatial_merge_size ${merge}; llama.cpp's converter does not record it and clip.cpp assumes 2, so the projector would be wrong`,
    );
  }
  const inChans =
    typeof vision.in_chans === 'number'
      ? vision.in_chans
      : typeof vision.in_channels === 'number'
        ? vision.in_channels
        : 3;
  const outHidden = typeof vision.out_hidden_size === 'number' ? vision.out_hidden_size : nEmbd;
  if (outHidden !== nEmbd) {
    throw invalid(
      `${vFile}: out_hidden_size ${outHidden} differs from the text hidden_size ${nEmbd}; the projector would not fit the model`,
    );
  }
  const full = vision.fullatt_block_indexes;
  if (!Array.isArray(full) || full.length === 0 || !full.every((i) => Number.isInteger(i))) {
    throw invalid(
      `${vFile}: fullatt_block_indexes is ${JSON.stringify(full ?? null)}; it is required for Qwen2.5-VL (qwenvl.py:71-78)`,
    );
  }
  const nWaPattern = (full[0] as number) + 1;
  for (let i = 1; i < full.length; i++) {
    if ((full[i] as number) - (full[i - 1] as number) !== nWaPattern) {
      throw invalid(
        `${vFile}: invalid fullatt_block_indexes ${JSON.stringify(full)} (full attention must repeat every ${nWaPattern} blocks)`,
      );
    }
  }
  const preprocessorFile = path.join(ckpt.dir, 'preprocessor_config.json');
  let preprocessor = await readJsonFile(preprocessorFile, 'preprocessor_config.json');
  const files = [preprocessorFile];
  const processorFile = path.join(ckpt.dir, 'processor_config.json');
  // Optional; a present but broken processor_config.json is an error like any other input file.
  const processor = (await stat(processorFile).then(
    (st) => st.isFile(),
    () => false,
  ))
    ? await readJsonFile(processorFile, 'processor_config.json')
    : null;
  if (processor) {
    files.push(processorFile);
    preprocessor = { ...preprocessor, ...processor, ...((processor.image_processor as Json | undefined) ?? {}) };
  }
  const floats3 = (key: string): number[] => {
    const v = preprocessor[key];
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number')) {
      throw invalid(
        `${preprocessorFile}: "${key}" is ${JSON.stringify(v ?? null)}, expected three numbers (one per colour channel)`,
      );
    }
    return v as number[];
  };
  const imageMean = floats3('image_mean');
  const imageStd = floats3('image_std');
  const mmFileType = opts.mmprojType;
  const mmMeta: Array<[string, GgufWriteValue]> = [
    ['general.architecture', { type: 'string', value: 'clip' }],
    ['general.type', { type: 'string', value: 'mmproj' }],
    ['general.name', { type: 'string', value: opts.name }],
    ['general.file_type', u32(FILE_TYPE[mmFileType])],
    ['clip.has_vision_encoder', { type: 'bool', value: true }],
    ['clip.vision.projection_dim', u32(nEmbd)],
    ['clip.vision.image_size', u32(imageSize)],
    ['clip.vision.patch_size', u32(patch)],
    ['clip.vision.embedding_length', u32(E)],
    ['clip.vision.feed_forward_length', u32(F)],
    ['clip.vision.block_count', u32(depth)],
    ['clip.vision.attention.head_count', u32(vHeads)],
    ['clip.vision.image_mean', { type: 'f32[]', value: imageMean }],
    ['clip.vision.image_std', { type: 'f32[]', value: imageStd }],
    ['clip.projector_type', { type: 'string', value: 'qwen2.5vl_merger' }],
    ['clip.use_silu', { type: 'bool', value: true }],
    ['clip.vision.n_wa_pattern', u32(nWaPattern)],
    [
      'clip.vision.attention.layer_norm_epsilon',
      f32(typeof config.rms_norm_eps === 'number' ? config.rms_norm_eps : 1e-6),
    ],
    ['general.quantization_version', u32(2)],
  ];

  // ---- tensors ----
  const shape: TextShape = { nLayer, nEmbd, nFf, nHead, nHeadKv, nVocab, headDim };
  const lmTensors: PlannedTensor[] = [];
  const mmTensors: PlannedTensor[] = [];
  const lmAdd = (
    name: string,
    torchShape: number[],
    source: SafetensorsTensor,
    selection: Selection = { kind: 'all' },
  ) => {
    const dims = reversed(torchShape);
    lmTensors.push({ name, dims, type: weightType(name, dims, lmFileType, null, warnings), source, selection });
  };
  const mmAdd = (
    name: string,
    torchShape: number[],
    source: SafetensorsTensor,
    selection: Selection = { kind: 'all' },
  ) => {
    if (mmTensors.some((t) => t.name === name)) {
      throw invalid(`${source.file}: tensor "${source.name}" maps to ${name}, which another tensor already filled`);
    }
    const dims = reversed(torchShape);
    // MmprojModel.tensor_force_quant (base.py:2563-2566): the patch embedding follows --outtype f16, else F32.
    const forced = name.includes('.patch_embd.weight') ? (mmFileType === 'f16' ? GgmlType.F16 : GgmlType.F32) : null;
    mmTensors.push({ name, dims, type: weightType(name, dims, mmFileType, forced, warnings), source, selection });
  };
  const unknown: string[] = [];
  const seenGguf = new Set<string>();
  for (const [stored, t] of ckpt.tensors) {
    if (IGNORED_SUFFIXES.some((s) => stored.endsWith(s))) continue;
    const v = visionName(stored);
    if (v !== null) {
      if (
        !planVisionTensor(v, t, { E, F, depth, patch, inChans, temporal, nEmbd, mergeWidth: E * merge * merge }, mmAdd)
      )
        unknown.push(`${stored} (${path.basename(t.file)})`);
      continue;
    }
    const mapped = textTensor(textName(stored), shape);
    if (!mapped) {
      unknown.push(`${stored} (${path.basename(t.file)})`);
      continue;
    }
    if (seenGguf.has(mapped.gguf))
      throw invalid(`${t.file}: tensor "${stored}" maps to ${mapped.gguf}, which another tensor already filled`);
    seenGguf.add(mapped.gguf);
    checkShape(t, mapped.shape);
    lmAdd(mapped.gguf, mapped.shape, t);
  }
  if (unknown.length) {
    throw invalid(
      `${ckpt.dir}: ${unknown.length} tensor(s) this converter does not know (llama.cpp's would stop with "Can not map tensor"): ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}`,
    );
  }

  // Every tensor llama.cpp will ask for must be there (a missing one is a load failure later, or worse, a tie).
  const names = new Set(lmTensors.map((t) => t.name));
  const required = ['token_embd.weight', 'output_norm.weight'];
  for (let l = 0; l < nLayer; l++) for (const [n] of Object.values(TEXT_BLOCK)) required.push(`blk.${l}.${n}`);
  const tied = text.tie_word_embeddings === true || config.tie_word_embeddings === true;
  if (!tied) required.push('output.weight');
  const missing = required.filter((n) => !names.has(n));
  if (missing.length) {
    throw invalid(
      `${ckpt.dir}: the checkpoint lacks ${missing.length} language-model tensor(s) (first: ${missing[0]}${missing[0] === 'output.weight' ? ' = lm_head.weight, and tie_word_embeddings is not true' : ''}); the download is incomplete`,
    );
  }
  const mmNames = new Set(mmTensors.map((t) => t.name));
  const mmRequired = ['v.patch_embd.weight', 'v.patch_embd.weight.1', ...Object.values(MERGER).map(([n]) => n)];
  for (let l = 0; l < depth; l++) {
    for (const n of [...VISION_QKV_PARTS, ...Object.values(VISION_BLOCK).map(([g]) => g)])
      mmRequired.push(`v.blk.${l}.${n}`);
  }
  const mmMissing = mmRequired.filter((n) => !mmNames.has(n));
  if (mmMissing.length) {
    throw invalid(
      `${ckpt.dir}: the checkpoint lacks ${mmMissing.length} vision tensor(s) (first: ${mmMissing[0]}); the download is incomplete`,
    );
  }
  return {
    model: { metadata: lmMeta, tensors: lmTensors },
    mmproj: { metadata: mmMeta, tensors: mmTensors },
    warnings,
    files,
  };
}

interface VisionShape {
  E: number;
  F: number;
  depth: number;
  patch: number;
  inChans: number;
  temporal: number;
  nEmbd: number;
  mergeWidth: number;
}

// tensor_mapping.py: norm1 1686, norm2 1744, attn.proj 1713, mlp.gate_proj 1790, up_proj 1772, down_proj 1809.
const VISION_BLOCK: Record<string, [gguf: string, shape: (s: VisionShape) => number[]]> = {
  'norm1.weight': ['ln1.weight', (s) => [s.E]],
  'norm2.weight': ['ln2.weight', (s) => [s.E]],
  'attn.proj.weight': ['attn_out.weight', (s) => [s.E, s.E]],
  'attn.proj.bias': ['attn_out.bias', (s) => [s.E]],
  'mlp.gate_proj.weight': ['ffn_gate.weight', (s) => [s.F, s.E]],
  'mlp.gate_proj.bias': ['ffn_gate.bias', (s) => [s.F]],
  'mlp.up_proj.weight': ['ffn_up.weight', (s) => [s.F, s.E]],
  'mlp.up_proj.bias': ['ffn_up.bias', (s) => [s.F]],
  'mlp.down_proj.weight': ['ffn_down.weight', (s) => [s.E, s.F]],
  'mlp.down_proj.bias': ['ffn_down.bias', (s) => [s.E]],
};

/** The GGUF tensors a fused attn.qkv weight and bias become. */
const VISION_QKV_PARTS = ['attn_q', 'attn_k', 'attn_v'].flatMap((n) => [`${n}.weight`, `${n}.bias`]);

// tensor_mapping.py: merger.ln_q 1888 (V_POST_NORM), merger.mlp.{bid} 1482 (V_MMPROJ).
const MERGER: Record<string, [gguf: string, shape: (s: VisionShape) => number[]]> = {
  'visual.merger.ln_q.weight': ['v.post_ln.weight', (s) => [s.E]],
  'visual.merger.mlp.0.weight': ['mm.0.weight', (s) => [s.mergeWidth, s.mergeWidth]],
  'visual.merger.mlp.0.bias': ['mm.0.bias', (s) => [s.mergeWidth]],
  'visual.merger.mlp.2.weight': ['mm.2.weight', (s) => [s.nEmbd, s.mergeWidth]],
  'visual.merger.mlp.2.bias': ['mm.2.bias', (s) => [s.nEmbd]],
};

/** Qwen2VLVisionModel.modify_tensors (qwenvl.py:98-120) with gguf-py tensor_mapping.py's visual.* names. */
function planVisionTensor(
  name: string,
  t: SafetensorsTensor,
  s: VisionShape,
  add: (name: string, torchShape: number[], source: SafetensorsTensor, selection?: Selection) => void,
): boolean {
  const { E, patch, inChans, temporal } = s;
  if (name === 'visual.patch_embed.proj.weight') {
    // Conv3D [E, C, T, kh, kw] split into one Conv2D per frame (qwenvl.py:113-119), named v.patch_embd.weight(.1).
    checkShape(t, [E, inChans, temporal, patch, patch]);
    const frameElements = patch * patch;
    for (let frame = 0; frame < temporal; frame++) {
      add(frame === 0 ? 'v.patch_embd.weight' : `v.patch_embd.weight.${frame}`, [E, inChans, patch, patch], t, {
        kind: 'frame',
        t: frame,
        frames: temporal,
        frameElements,
      });
    }
    return true;
  }
  const merger = MERGER[name];
  if (merger) {
    const shape = merger[1](s);
    checkShape(t, shape);
    add(merger[0], shape, t);
    return true;
  }
  const m = /^visual\.blocks\.(\d+)\.(.+)$/.exec(name);
  if (!m || Number(m[1]) >= s.depth || String(Number(m[1])) !== m[1]) return false;
  const p = `v.blk.${m[1]}.`;
  const rest = m[2];
  const qkv = /^attn\.qkv\.(weight|bias)$/.exec(rest);
  if (qkv) {
    // Fused [3E, E] / [3E] split into thirds along the outermost dimension (qwenvl.py:100-112).
    const isWeight = qkv[1] === 'weight';
    checkShape(t, isWeight ? [3 * E, E] : [3 * E]);
    const part = isWeight ? [E, E] : [E];
    const partElements = part.reduce((a, b) => a * b, 1);
    ['attn_q', 'attn_k', 'attn_v'].forEach((n, i) =>
      add(`${p}${n}.${qkv[1]}`, part, t, { kind: 'slice', startElement: i * partElements }),
    );
    return true;
  }
  const hit = VISION_BLOCK[rest];
  if (!hit) return false;
  const shape = hit[1](s);
  checkShape(t, shape);
  add(p + hit[0], shape, t);
  return true;
}
