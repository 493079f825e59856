// Tiny random Hugging Face-format Qwen2.5-VL checkpoints for the converter's tests and benchmark: config.json,
// tokenizer.json, tokenizer_config.json, preprocessor_config.json, generation_config.json and sharded safetensors
// (BF16, F16 or F32). The weights are taken from a model folder written by the project's own tiny-GGUF writer
// (tiny-gguf.ts), mapped back to Hugging Face names and layouts, so converting the checkpoint must give back the
// same tensors: that is the equivalence test.
import { mkdir, open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { floatToHalfBits } from '@main/engine/gguf/ggml-encoding';
import { readGgufHeader } from '@main/engine/gguf/gguf-reader';
import { tensorByteSize } from '@main/engine/gguf/gguf-writer';
import { GgmlType, type GgufHeader, type GgufTensorInfo } from '@main/engine/gguf/gguf-types';
import { QWEN2_SPLIT_REGEX } from '@main/engine/hf-convert/tokenizer';
import {
  QWEN25VL_CHAT_TEMPLATE,
  QWEN_SPECIAL_TOKENS,
  buildTokenizer,
  type LmShape,
  type VisionShape,
} from './tiny-gguf';

export type HfDtype = 'F32' | 'F16' | 'BF16';

export interface HfTensor {
  name: string;
  /** PyTorch order. */
  shape: number[];
  /** The values, or (for benchmark-sized checkpoints) a generator of element ranges, so nothing big sits in memory. */
  values: Float32Array | ((out: Float32Array, start: number) => void);
}

/** A tensor whose values are in memory (the tiny checkpoints of the tests). */
export type HfTensorInMemory = HfTensor & { values: Float32Array };

const FILL_CHUNK = 1 << 20;

/** float32 → bfloat16 bits, round to nearest even (torch's `.to(torch.bfloat16)`). */
const bf16Scratch = new Float32Array(1);
const bf16Bits = new Uint32Array(bf16Scratch.buffer);

export function floatToBf16Bits(value: number): number {
  bf16Scratch[0] = value;
  const u = bf16Bits[0];
  if ((u & 0x7fffffff) > 0x7f800000) return (u >>> 16) | 0x40;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

function encode(dtype: HfDtype, values: Float32Array): Buffer {
  if (dtype === 'F32') return Buffer.from(values.slice().buffer);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++)
    out[i] = dtype === 'F16' ? floatToHalfBits(values[i]) : floatToBf16Bits(values[i]);
  return Buffer.from(out.buffer);
}

/** Writes one safetensors file; `rawHeader` lets a test write a header that lies. */
export async function writeSafetensors(
  file: string,
  tensors: HfTensor[],
  dtype: HfDtype,
  opts: { rawHeader?: (header: Record<string, unknown>) => string } = {},
): Promise<void> {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  const width = dtype === 'F32' ? 4 : 2;
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * width;
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = opts.rawHeader ? opts.rawHeader(header) : JSON.stringify(header);
  while (Buffer.byteLength(json) % 8) json += ' ';
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const handle = await open(file, 'w');
  try {
    await handle.write(Buffer.concat([len, Buffer.from(json)]));
    for (const t of tensors) {
      if (typeof t.values !== 'function') {
        await handle.write(encode(dtype, t.values));
        continue;
      }
      const n = t.shape.reduce((a, b) => a * b, 1);
      const scratch = new Float32Array(Math.min(n, FILL_CHUNK));
      for (let start = 0; start < n; start += FILL_CHUNK) {
        const view = scratch.subarray(0, Math.min(FILL_CHUNK, n - start));
        t.values(view, start);
        await handle.write(encode(dtype, view));
      }
    }
  } finally {
    await handle.close();
  }
}

/** The raw data of one tensor of a GGUF file (F32, F16 or Q8_0). */
export async function ggufTensorBytes(file: string, header: GgufHeader, name: string): Promise<Buffer> {
  const t = header.tensors.find((x) => x.name === name);
  if (!t) throw new Error(`${file} has no tensor ${name}`);
  const buf = Buffer.alloc(tensorByteSize(t as Parameters<typeof tensorByteSize>[0]));
  const handle = await open(file, 'r');
  try {
    await handle.read(buf, 0, buf.length, header.dataOffset + Number(t.offset));
  } finally {
    await handle.close();
  }
  return buf;
}

/** The F32 values of a tensor of a GGUF file written by tiny-gguf.ts with F32 weights. */
export async function readGgufF32(file: string, header: GgufHeader, t: GgufTensorInfo): Promise<Float32Array> {
  if (t.type !== GgmlType.F32) throw new Error(`${t.name} is not F32 (type ${t.type})`);
  const bytes = await ggufTensorBytes(file, header, t.name);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

export interface HfLayout {
  /** transformers >= 4.52: nested text_config, model.language_model.* / model.visual.*, chat_template.jinja. */
  modern: boolean;
  dtype: HfDtype;
  shards: number;
  /** Also write lm_head.weight (untied). */
  untied?: boolean;
}

/** GGUF name → [Hugging Face name (legacy layout), torch shape]; q/k/v and the patch embedding are fused separately. */
function hfNameOf(gguf: string, dims: number[]): string | null {
  const simple: Record<string, string> = {
    'token_embd.weight': 'model.embed_tokens.weight',
    'output_norm.weight': 'model.norm.weight',
    'output.weight': 'lm_head.weight',
    'v.post_ln.weight': 'visual.merger.ln_q.weight',
    'mm.0.weight': 'visual.merger.mlp.0.weight',
    'mm.0.bias': 'visual.merger.mlp.0.bias',
    'mm.2.weight': 'visual.merger.mlp.2.weight',
    'mm.2.bias': 'visual.merger.mlp.2.bias',
  };
  if (simple[gguf]) return simple[gguf];
  void dims;
  let m = /^blk\.(\d+)\.(.+)$/.exec(gguf);
  if (m) {
    const table: Record<string, string> = {
      'attn_norm.weight': 'input_layernorm.weight',
      'attn_q.weight': 'self_attn.q_proj.weight',
      'attn_q.bias': 'self_attn.q_proj.bias',
      'attn_k.weight': 'self_attn.k_proj.weight',
      'attn_k.bias': 'self_attn.k_proj.bias',
      'attn_v.weight': 'self_attn.v_proj.weight',
      'attn_v.bias': 'self_attn.v_proj.bias',
      'attn_output.weight': 'self_attn.o_proj.weight',
      'ffn_norm.weight': 'post_attention_layernorm.weight',
      'ffn_gate.weight': 'mlp.gate_proj.weight',
      'ffn_up.weight': 'mlp.up_proj.weight',
      'ffn_down.weight': 'mlp.down_proj.weight',
    };
    return table[m[2]] ? `model.layers.${m[1]}.${table[m[2]]}` : null;
  }
  m = /^v\.blk\.(\d+)\.(.+)$/.exec(gguf);
  if (m) {
    const table: Record<string, string> = {
      'ln1.weight': 'norm1.weight',
      'ln2.weight': 'norm2.weight',
      'attn_out.weight': 'attn.proj.weight',
      'attn_out.bias': 'attn.proj.bias',
      'ffn_gate.weight': 'mlp.gate_proj.weight',
      'ffn_gate.bias': 'mlp.gate_proj.bias',
      'ffn_up.weight': 'mlp.up_proj.weight',
      'ffn_up.bias': 'mlp.up_proj.bias',
      'ffn_down.weight': 'mlp.down_proj.weight',
      'ffn_down.bias': 'mlp.down_proj.bias',
    };
    return table[m[2]] ? `visual.blocks.${m[1]}.${table[m[2]]}` : null;
  }
  return null;
}

/** Hugging Face tensors holding exactly the values of a tiny-gguf.ts model pair written with F32 weights. */
export async function hfTensorsFromTinyGguf(modelPath: string, mmprojPath: string): Promise<HfTensorInMemory[]> {
  const out: HfTensorInMemory[] = [];
  for (const file of [modelPath, mmprojPath]) {
    const header = await readGgufHeader(file, { maxArrayLength: 0 });
    const byName = new Map(header.tensors.map((t) => [t.name, t]));
    const values = async (name: string) => readGgufF32(file, header, byName.get(name)!);
    for (const t of header.tensors) {
      if (/\.attn_[qkv]\.(weight|bias)$/.test(t.name) && t.name.startsWith('v.')) continue;
      if (t.name.startsWith('v.patch_embd')) continue;
      const hf = hfNameOf(t.name, t.dims);
      if (!hf) throw new Error(`no Hugging Face name for ${t.name}`);
      out.push({ name: hf, shape: [...t.dims].reverse(), values: await values(t.name) });
    }
    if (file !== mmprojPath) continue;
    // Fused qkv per block: concatenated along the outermost dimension.
    const blocks = new Set(header.tensors.map((t) => /^v\.blk\.(\d+)\./.exec(t.name)?.[1]).filter(Boolean));
    for (const b of blocks) {
      for (const kind of ['weight', 'bias']) {
        const parts = await Promise.all(['q', 'k', 'v'].map((x) => values(`v.blk.${b}.attn_${x}.${kind}`)));
        const dims = byName.get(`v.blk.${b}.attn_q.${kind}`)!.dims;
        const joined = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
        parts.reduce((at, p) => (joined.set(p, at), at + p.length), 0);
        const torch = [...dims].reverse();
        torch[0] *= 3;
        out.push({ name: `visual.blocks.${b}.attn.qkv.${kind}`, shape: torch, values: joined });
      }
    }
    // Conv3D patch embedding [E, C, 2, P, P] from the two Conv2D frames [E, C, P, P].
    const f0 = await values('v.patch_embd.weight');
    const f1 = await values('v.patch_embd.weight.1');
    const [P, , C, E] = byName.get('v.patch_embd.weight')!.dims;
    const fe = P * P;
    const conv = new Float32Array(f0.length * 2);
    for (let i = 0; i < E * C; i++) {
      conv.set(f0.subarray(i * fe, (i + 1) * fe), i * 2 * fe);
      conv.set(f1.subarray(i * fe, (i + 1) * fe), (i * 2 + 1) * fe);
    }
    out.push({ name: 'visual.patch_embed.proj.weight', shape: [E, C, 2, P, P], values: conv });
  }
  return out;
}

/** Every tensor of a Qwen2.5-VL checkpoint of the given shape (legacy names), filled by `fill(name)`. */
export function qwen25vlHfTensors(
  lm: LmShape,
  vision: VisionShape,
  fill: (name: string) => (out: Float32Array, start: number) => void,
): HfTensor[] {
  const nVocab = buildTokenizer(lm.nVocab).tokens.length;
  const headDim = lm.nEmbd / lm.nHead;
  const kv = headDim * lm.nHeadKv;
  const E = vision.nEmbd;
  const F = vision.nFf;
  const shapes: Array<[string, number[]]> = [
    ['model.embed_tokens.weight', [nVocab, lm.nEmbd]],
    ['model.norm.weight', [lm.nEmbd]],
  ];
  for (let l = 0; l < lm.nLayer; l++) {
    const p = `model.layers.${l}.`;
    shapes.push(
      [`${p}input_layernorm.weight`, [lm.nEmbd]],
      [`${p}self_attn.q_proj.weight`, [lm.nEmbd, lm.nEmbd]],
      [`${p}self_attn.q_proj.bias`, [lm.nEmbd]],
      [`${p}self_attn.k_proj.weight`, [kv, lm.nEmbd]],
      [`${p}self_attn.k_proj.bias`, [kv]],
      [`${p}self_attn.v_proj.weight`, [kv, lm.nEmbd]],
      [`${p}self_attn.v_proj.bias`, [kv]],
      [`${p}self_attn.o_proj.weight`, [lm.nEmbd, lm.nEmbd]],
      [`${p}post_attention_layernorm.weight`, [lm.nEmbd]],
      [`${p}mlp.gate_proj.weight`, [lm.nFf, lm.nEmbd]],
      [`${p}mlp.up_proj.weight`, [lm.nFf, lm.nEmbd]],
      [`${p}mlp.down_proj.weight`, [lm.nEmbd, lm.nFf]],
    );
  }
  shapes.push(['visual.patch_embed.proj.weight', [E, 3, 2, 14, 14]]);
  for (let l = 0; l < vision.nLayer; l++) {
    const p = `visual.blocks.${l}.`;
    shapes.push(
      [`${p}norm1.weight`, [E]],
      [`${p}norm2.weight`, [E]],
      [`${p}attn.qkv.weight`, [3 * E, E]],
      [`${p}attn.qkv.bias`, [3 * E]],
      [`${p}attn.proj.weight`, [E, E]],
      [`${p}attn.proj.bias`, [E]],
      [`${p}mlp.gate_proj.weight`, [F, E]],
      [`${p}mlp.gate_proj.bias`, [F]],
      [`${p}mlp.up_proj.weight`, [F, E]],
      [`${p}mlp.up_proj.bias`, [F]],
      [`${p}mlp.down_proj.weight`, [E, F]],
      [`${p}mlp.down_proj.bias`, [E]],
    );
  }
  shapes.push(
    ['visual.merger.ln_q.weight', [E]],
    ['visual.merger.mlp.0.weight', [4 * E, 4 * E]],
    ['visual.merger.mlp.0.bias', [4 * E]],
    ['visual.merger.mlp.2.weight', [vision.projectionDim, 4 * E]],
    ['visual.merger.mlp.2.bias', [vision.projectionDim]],
  );
  return shapes.map(([name, shape]) => ({ name, shape, values: fill(name) }));
}

export function modernName(name: string): string {
  if (name.startsWith('model.')) return name.replace(/^model\./, 'model.language_model.');
  if (name.startsWith('visual.')) return `model.${name}`;
  return name;
}

export interface TinyHfOptions {
  lm: LmShape;
  vision: VisionShape;
  layout: HfLayout;
  merges?: string[];
  /** Changes config.json before it is written (bad-input tests). */
  editConfig?: (config: Record<string, unknown>) => void;
}

/** Writes a complete Hugging Face folder for `tensors` (legacy names) and returns its tokenizer's special ids. */
export async function writeTinyHfCheckpoint(dir: string, tensors: HfTensor[], opts: TinyHfOptions): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { lm, vision, layout } = opts;
  const tok = buildTokenizer(lm.nVocab, opts.merges);
  const vocab: Record<string, number> = {};
  tok.tokens.forEach((t, id) => {
    if (!(QWEN_SPECIAL_TOKENS as readonly string[]).includes(t)) vocab[t] = id;
  });
  const addedTokens = QWEN_SPECIAL_TOKENS.map((content) => ({
    id: tok.specialIds[content],
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: { type: 'NFC' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: QWEN2_SPLIT_REGEX }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      // transformers >= 4.45 writes merges as pairs; older files as "a b" strings. Both are read.
      merges: layout.modern ? tok.merges.map((m) => m.split(' ')) : tok.merges,
    },
  };
  const tokenizerConfig: Record<string, unknown> = {
    add_prefix_space: false,
    bos_token: null,
    clean_up_tokenization_spaces: false,
    eos_token: '<|im_end|>',
    errors: 'replace',
    model_max_length: 131072,
    pad_token: '<|endoftext|>',
    split_special_tokens: false,
    tokenizer_class: 'Qwen2Tokenizer',
    unk_token: null,
    ...(layout.modern ? {} : { chat_template: QWEN25VL_CHAT_TEMPLATE }),
  };
  const headDim = lm.nEmbd / lm.nHead;
  void headDim;
  const text = {
    hidden_size: lm.nEmbd,
    intermediate_size: lm.nFf,
    num_hidden_layers: lm.nLayer,
    num_attention_heads: lm.nHead,
    num_key_value_heads: lm.nHeadKv,
    max_position_embeddings: lm.contextLength,
    rms_norm_eps: 1e-6,
    rope_theta: 1_000_000.0,
    rope_scaling: { type: 'mrope', mrope_section: lm.ropeSections.slice(0, 3) },
    vocab_size: tok.tokens.length,
    tie_word_embeddings: !layout.untied,
    bos_token_id: tok.specialIds['<|endoftext|>'],
    eos_token_id: tok.specialIds['<|im_end|>'],
    hidden_act: 'silu',
    torch_dtype: layout.dtype === 'F32' ? 'float32' : layout.dtype === 'F16' ? 'float16' : 'bfloat16',
  };
  const nWa = vision.nLayer >= 8 ? 8 : 2;
  const fullatt: number[] = [];
  for (let i = nWa - 1; i < vision.nLayer; i += nWa) fullatt.push(i);
  const visionConfig = {
    depth: vision.nLayer,
    hidden_size: vision.nEmbd,
    intermediate_size: vision.nFf,
    num_heads: vision.nHead,
    in_chans: 3,
    out_hidden_size: vision.projectionDim,
    patch_size: 14,
    spatial_merge_size: 2,
    temporal_patch_size: 2,
    window_size: 112,
    fullatt_block_indexes: fullatt,
    image_size: vision.imageSize,
    hidden_act: 'silu',
    model_type: 'qwen2_5_vl',
  };
  const config: Record<string, unknown> = layout.modern
    ? {
        architectures: ['Qwen2_5_VLForConditionalGeneration'],
        model_type: 'qwen2_5_vl',
        image_token_id: tok.specialIds['<|image_pad|>'],
        text_config: { ...text, model_type: 'qwen2_5_vl_text' },
        vision_config: visionConfig,
        tie_word_embeddings: !layout.untied,
        transformers_version: '4.57.1',
      }
    : {
        architectures: ['Qwen2_5_VLForConditionalGeneration'],
        model_type: 'qwen2_5_vl',
        ...text,
        vision_config: visionConfig,
        transformers_version: '4.49.0',
      };
  opts.editConfig?.(config);
  const preprocessor = {
    do_convert_rgb: true,
    do_normalize: true,
    do_rescale: true,
    do_resize: true,
    image_mean: [0.48145466, 0.4578275, 0.40821073],
    image_std: [0.26862954, 0.26130258, 0.27577711],
    image_processor_type: 'Qwen2VLImageProcessor',
    max_pixels: 12845056,
    merge_size: 2,
    min_pixels: 3136,
    patch_size: 14,
    processor_class: 'Qwen2_5_VLProcessor',
    resample: 3,
    rescale_factor: 0.00392156862745098,
    temporal_patch_size: 2,
  };
  const write = (name: string, value: unknown) =>
    writeFile(path.join(dir, name), `${JSON.stringify(value, null, 2)}\n`);
  await write('config.json', config);
  await write('tokenizer.json', tokenizerJson);
  await write('tokenizer_config.json', tokenizerConfig);
  await write('preprocessor_config.json', preprocessor);
  await write('generation_config.json', {
    bos_token_id: text.bos_token_id,
    eos_token_id: [text.eos_token_id],
    repetition_penalty: 1.05,
    temperature: 1e-6,
  });
  if (layout.modern) await writeFile(path.join(dir, 'chat_template.jinja'), QWEN25VL_CHAT_TEMPLATE);

  const named = tensors.map((t) => ({ ...t, name: layout.modern ? modernName(t.name) : t.name }));
  if (layout.untied && !named.some((t) => t.name === 'lm_head.weight')) {
    const embd = named.find((t) => t.name.endsWith('embed_tokens.weight'))!;
    const values = embd.values;
    named.push({
      name: 'lm_head.weight',
      shape: embd.shape,
      values:
        typeof values === 'function'
          ? (out, start) => {
              values(out, start);
              for (let i = 0; i < out.length; i++) out[i] = -out[i];
            }
          : values.map((v) => -v),
    });
  }
  const shards = Math.max(1, layout.shards);
  if (shards === 1) {
    await writeSafetensors(path.join(dir, 'model.safetensors'), named, layout.dtype);
    return;
  }
  const weightMap: Record<string, string> = {};
  for (let s = 0; s < shards; s++) {
    const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const part = named.filter((_, i) => i % shards === s);
    for (const t of part) weightMap[t.name] = file;
    await writeSafetensors(path.join(dir, file), part, layout.dtype);
  }
  await write('model.safetensors.index.json', { metadata: { total_size: 0 }, weight_map: weightMap });
}
