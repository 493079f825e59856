// The GGUF tokenizer keys of a Qwen2.5-VL checkpoint, built from tokenizer.json, tokenizer_config.json,
// chat_template.jinja/.json and config.json the way llama.cpp's converter does at commit 80fb11ac7:
//   TextModel.get_vocab_base + _set_vocab_gpt2        conversion/base.py:1419-1465, 1790-1798
//   TextModel.does_token_look_special                 conversion/base.py:1395-1416
//   gguf.SpecialVocab (merges, special ids, add_*)    gguf-py/gguf/vocab.py:82-116, 183-369
// One difference, on purpose: the reference identifies the pre-tokenizer by hashing what transformers'
// AutoTokenizer makes of a fixed text (get_vocab_base_pre); without Python we check that tokenizer.json's
// pre-tokenizer IS Qwen2's (the same Split regex and ByteLevel step), and write "qwen2" only then.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { GgufWriteValue } from '../gguf/gguf-writer';
import { ConvertError } from './convert-error';
import { readJsonFile, type Json } from './hf-checkpoint';

/** gguf.TokenType (gguf-py/gguf/constants.py). */
export const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

/** Qwen2's pre-tokenizer split as tokenizer.json spells it (llama.cpp LLAMA_VOCAB_PRE_TYPE_QWEN2). */
export const QWEN2_SPLIT_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const SPECIAL_TOKEN_TYPES = ['bos', 'eos', 'unk', 'sep', 'pad', 'cls', 'mask'] as const;

export interface GgufVocab {
  tokens: string[];
  types: number[];
  merges: string[];
  metadata: Array<[string, GgufWriteValue]>;
  /** Input files read, for the checksum record. */
  files: string[];
}

function invalid(message: string): ConvertError {
  return new ConvertError('invalid_checkpoint', message);
}

export function doesTokenLookSpecial(token: string): boolean {
  return (
    ['<pad>', '<mask>', '<2mass>', '[@BOS@]'].includes(token) ||
    (token.startsWith('<|') && token.endsWith('|>')) ||
    (token.startsWith('<｜') && token.endsWith('｜>')) ||
    (token.startsWith('<unused') && token.endsWith('>'))
  );
}

function checkPreTokenizer(file: string, pre: unknown): void {
  const steps = (pre as { type?: string; pretokenizers?: unknown[] })?.pretokenizers;
  const split = Array.isArray(steps) ? (steps[0] as Json | undefined) : undefined;
  const byteLevel = Array.isArray(steps) ? (steps[1] as Json | undefined) : undefined;
  const regex = (split?.pattern as Json | undefined)?.Regex;
  const ok =
    (pre as Json)?.type === 'Sequence' &&
    steps?.length === 2 &&
    split?.type === 'Split' &&
    regex === QWEN2_SPLIT_REGEX &&
    split.behavior === 'Isolated' &&
    split.invert === false &&
    byteLevel?.type === 'ByteLevel' &&
    byteLevel.use_regex === false &&
    byteLevel.add_prefix_space === false;
  if (!ok) {
    throw invalid(
      `${file}: the pre-tokenizer is not Qwen2's (a Split on Qwen2's regex, then ByteLevel); llama.cpp would tokenize this model differently — convert the tokenizer.json that came with the Qwen2.5-VL model`,
    );
  }
}

function mergesOf(file: string, merges: unknown): string[] {
  if (!Array.isArray(merges) || merges.length === 0) {
    throw invalid(`${file}: model.merges is missing or empty; a BPE tokenizer needs its merges — download it again`);
  }
  if (typeof merges[0] === 'string') {
    if (!merges.every((m) => typeof m === 'string')) throw invalid(`${file}: model.merges mixes formats`);
    return merges as string[];
  }
  // transformers >= 4.45 writes [a, b] pairs so that merges may contain spaces; gguf-py joins them with a space
  // after spelling each space as U+0120 (vocab.py:195-212).
  return merges.map((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((p) => typeof p === 'string')) {
      throw invalid(`${file}: model.merges[${i}] is ${JSON.stringify(pair)}, not a pair of strings`);
    }
    return (pair as string[]).map((part) => part.replaceAll(' ', '\u0120')).join(' ');
  });
}

async function chatTemplateOf(dir: string, tokenizerConfig: Json, files: string[]): Promise<string | null> {
  const jinja = path.join(dir, 'chat_template.jinja');
  const json = path.join(dir, 'chat_template.json');
  let alt: unknown = null;
  if (
    await stat(jinja).then(
      (s) => s.isFile(),
      () => false,
    )
  ) {
    const extra = await stat(path.join(dir, 'additional_chat_templates')).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (extra) {
      throw invalid(
        `${path.join(dir, 'additional_chat_templates')}: several named chat templates are not supported; GuardTrace renders its input with the Qwen2.5-VL template — remove the folder and convert again`,
      );
    }
    alt = await readFile(jinja, 'utf8');
    files.push(jinja);
  } else if (
    await stat(json).then(
      (s) => s.isFile(),
      () => false,
    )
  ) {
    alt = (await readJsonFile(json, 'chat_template.json')).chat_template ?? null;
    files.push(json);
  }
  const template = 'chat_template' in tokenizerConfig ? tokenizerConfig.chat_template : alt;
  if (template === null || template === undefined) return null;
  if (typeof template !== 'string') {
    throw invalid(
      `${path.join(dir, 'tokenizer_config.json')}: chat_template is ${Array.isArray(template) ? 'a list of named templates' : typeof template}; only a single template string is supported`,
    );
  }
  return template;
}

export async function buildGgufVocab(dir: string, text: Json, config: Json): Promise<GgufVocab> {
  const tokenizerFile = path.join(dir, 'tokenizer.json');
  const tokenizerConfigFile = path.join(dir, 'tokenizer_config.json');
  const tokenizer = await readJsonFile(tokenizerFile, 'tokenizer.json');
  const tokenizerConfig = await readJsonFile(tokenizerConfigFile, 'tokenizer_config.json');
  const files = [tokenizerFile, tokenizerConfigFile];

  const model = tokenizer.model as Json | undefined;
  if (model?.type !== 'BPE' || !model.vocab || typeof model.vocab !== 'object') {
    throw invalid(
      `${tokenizerFile}: model.type is ${JSON.stringify(model?.type ?? null)}, expected a BPE vocabulary (Qwen2.5-VL's); download tokenizer.json again`,
    );
  }
  checkPreTokenizer(tokenizerFile, tokenizer.pre_tokenizer);
  const postProcessor = tokenizer.post_processor as Json | null | undefined;
  const processors = postProcessor
    ? ((postProcessor.processors as Json[] | undefined) ?? [postProcessor]).map((p) => p.type)
    : [];
  if (processors.some((t) => t === 'TemplateProcessing' || t === 'RobertaProcessing')) {
    throw invalid(
      `${tokenizerFile}: post_processor ${processors.join(', ')} adds special tokens around every text; Qwen2.5-VL's does not — convert the tokenizer.json that came with the model`,
    );
  }

  const addedTokens = Array.isArray(tokenizer.added_tokens) ? (tokenizer.added_tokens as Json[]) : [];
  const reverse = new Map<number, string>();
  for (const [token, id] of Object.entries(model.vocab as Record<string, unknown>)) {
    if (!Number.isInteger(id) || (id as number) < 0)
      throw invalid(`${tokenizerFile}: token ${JSON.stringify(token)} has id ${String(id)}`);
    reverse.set(id as number, token);
  }
  const added = new Map<number, Json>();
  for (const a of addedTokens) {
    if (typeof a.content !== 'string' || !Number.isInteger(a.id)) {
      throw invalid(`${tokenizerFile}: an added_tokens entry has no content/id: ${JSON.stringify(a).slice(0, 200)}`);
    }
    added.set(a.id as number, a);
    reverse.set(a.id as number, a.content);
  }
  const maxId = Math.max(...reverse.keys());
  const vocabSize = typeof text.vocab_size === 'number' ? text.vocab_size : reverse.size;
  if (maxId >= vocabSize) {
    throw invalid(
      `${tokenizerFile}: token id ${maxId} does not fit config.json's vocab_size ${vocabSize}; the tokenizer and the weights are from different models`,
    );
  }
  const tokens: string[] = [];
  const types: number[] = [];
  for (let i = 0; i < vocabSize; i++) {
    const token = reverse.get(i);
    if (token === undefined) {
      tokens.push(`[PAD${i}]`);
      types.push(TOKEN_TYPE.UNUSED);
      continue;
    }
    const addedEntry = added.get(i);
    if (addedEntry && addedEntry.content === token) {
      // The reference re-encodes non-normalized added tokens through transformers and decodes them back
      // (base.py:1440-1446); for the byte-level Qwen2 tokenizer that is the identity, so the text is kept.
      if (addedEntry.special === true || doesTokenLookSpecial(token)) {
        types.push(TOKEN_TYPE.CONTROL);
        tokens.push(token);
      } else {
        types.push(TOKEN_TYPE.USER_DEFINED);
        tokens.push(token.replaceAll('\u2581', ' '));
      }
    } else {
      types.push(TOKEN_TYPE.NORMAL);
      tokens.push(token);
    }
  }
  const merges = mergesOf(tokenizerFile, model.merges);

  // gguf.SpecialVocab: tokenizer_config.json first (ids looked up among added_tokens), then config.json's *_token_id.
  const specialIds = new Map<string, number>();
  const addSpecial = new Map<string, boolean>();
  const setSpecial = (type: string, id: unknown) => {
    if (!Number.isInteger(id)) return;
    if ((id as number) < 0) throw invalid(`${tokenizerConfigFile}: ${type} token id ${String(id)} is negative`);
    if ((id as number) < tokens.length && !specialIds.has(type)) specialIds.set(type, id as number);
  };
  for (const type of SPECIAL_TOKEN_TYPES) {
    const add = tokenizerConfig[`add_${type}_token`];
    if (typeof add === 'boolean') addSpecial.set(type, add);
    const entry = tokenizerConfig[`${type}_token`];
    const content =
      typeof entry === 'string'
        ? entry
        : entry && typeof entry === 'object' && typeof (entry as Json).content === 'string'
          ? ((entry as Json).content as string)
          : null;
    if (content === null) continue;
    setSpecial(type, addedTokens.find((a) => a.content === content)?.id);
  }
  const nestedText = (config.text_config ?? {}) as Json;
  for (const type of SPECIAL_TOKEN_TYPES)
    setSpecial(type, config[`${type}_token_id`] ?? nestedText[`${type}_token_id`]);

  const chatTemplate = await chatTemplateOf(dir, tokenizerConfig, files);

  const metadata: Array<[string, GgufWriteValue]> = [
    ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: 'string', value: 'qwen2' }],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: tokens }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: types }],
    ['tokenizer.ggml.merges', { type: 'string[]', value: merges }],
  ];
  const ID_KEYS: Record<string, string> = {
    bos: 'tokenizer.ggml.bos_token_id',
    eos: 'tokenizer.ggml.eos_token_id',
    unk: 'tokenizer.ggml.unknown_token_id',
    sep: 'tokenizer.ggml.seperator_token_id',
    pad: 'tokenizer.ggml.padding_token_id',
    cls: 'tokenizer.ggml.cls_token_id',
    mask: 'tokenizer.ggml.mask_token_id',
  };
  for (const [type, id] of specialIds) metadata.push([ID_KEYS[type], { type: 'u32', value: id }]);
  for (const [type, value] of addSpecial) metadata.push([`tokenizer.ggml.add_${type}_token`, { type: 'bool', value }]);
  if (chatTemplate !== null) metadata.push(['tokenizer.chat_template', { type: 'string', value: chatTemplate }]);
  return { tokens, types, merges, metadata, files };
}
