// Opens a Hugging Face snapshot folder of a Qwen2.5-VL model: its config, and the tensor table of every
// safetensors shard, cross-checked against the shard index. Nothing here reads weights.
// Mirrors ModelBase.load_hparams / index_tensors (conversion/base.py) at llama.cpp 80fb11ac7.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConvertError } from './convert-error';
import { readSafetensorsHeader, type SafetensorsFile, type SafetensorsTensor } from './safetensors';

/** The Hugging Face architectures convert_hf_to_gguf.py maps to Qwen2VLModel + Qwen2VLVisionModel (conversion/qwenvl.py). */
export const SUPPORTED_ARCHITECTURES = ['Qwen2_5_VLForConditionalGeneration'] as const;
export const SUPPORTED_MODEL_TYPE = 'qwen2_5_vl';

export const INDEX_FILE = 'model.safetensors.index.json';

export type Json = Record<string, unknown>;

export interface HfCheckpoint {
  dir: string;
  configFile: string;
  /** config.json as written (nested text_config/vision_config kept). */
  config: Json;
  /** The text model's parameters: config.json's top level with text_config moved up (TextModel.__init__). */
  text: Json;
  vision: Json;
  /** Tensor name (as stored) → where it is. */
  tensors: Map<string, SafetensorsTensor>;
  shards: SafetensorsFile[];
}

function invalid(message: string): ConvertError {
  return new ConvertError('invalid_checkpoint', message);
}

export async function readJsonFile(file: string, what: string): Promise<Json> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw invalid(
      code === 'ENOENT'
        ? `${file}: not found; ${what} is part of the Hugging Face download — copy the whole model repository folder`
        : `${file}: cannot be read (${code ?? (err as Error).message})`,
    );
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed as Json;
  } catch (err) {
    throw invalid(`${file}: is not valid JSON (${(err as Error).message}); download it again`);
  }
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** Which safetensors files hold the weights: the index's shards, else every model*.safetensors (get_model_part_names). */
async function shardFiles(dir: string): Promise<{ files: string[]; weightMap: Map<string, string> | null }> {
  const indexFile = path.join(dir, INDEX_FILE);
  if (await isFile(indexFile)) {
    const index = await readJsonFile(indexFile, 'the shard index');
    const weightMap = index.weight_map;
    if (!weightMap || typeof weightMap !== 'object' || Array.isArray(weightMap)) {
      throw invalid(`${indexFile}: has no "weight_map" object; download it again`);
    }
    const map = new Map<string, string>();
    for (const [tensor, shard] of Object.entries(weightMap as Record<string, unknown>)) {
      if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\') || shard.startsWith('.')) {
        throw invalid(`${indexFile}: tensor "${tensor}" points at ${JSON.stringify(shard)}, not a file in the folder`);
      }
      map.set(tensor, shard);
    }
    const files = [...new Set(map.values())].sort();
    const missing: string[] = [];
    for (const f of files) if (!(await isFile(path.join(dir, f)))) missing.push(f);
    if (missing.length) {
      throw invalid(
        `${dir}: shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} listed in ${INDEX_FILE} ${missing.length > 1 ? 'are' : 'is'} missing; finish the download (every model-0000x-of-0000y.safetensors file)`,
      );
    }
    return { files, weightMap: map };
  }
  const files = (await readdir(dir)).filter((f) => f.startsWith('model') && f.endsWith('.safetensors')).sort();
  if (files.length === 0) {
    throw invalid(
      `${dir}: no model*.safetensors file and no ${INDEX_FILE}; choose the folder of the Hugging Face download (it holds config.json and the .safetensors weights)`,
    );
  }
  return { files, weightMap: null };
}

export async function openCheckpoint(dir: string): Promise<HfCheckpoint> {
  dir = path.resolve(dir);
  const dirStat = await stat(dir).catch(() => null);
  if (!dirStat?.isDirectory()) throw invalid(`${dir}: is not a folder; choose the Hugging Face model folder`);
  const configFile = path.join(dir, 'config.json');
  const config = await readJsonFile(configFile, 'config.json');
  const architectures = Array.isArray(config.architectures) ? (config.architectures as unknown[]) : [];
  const arch = architectures.find((a) => (SUPPORTED_ARCHITECTURES as readonly unknown[]).includes(a));
  if (!arch || config.model_type !== SUPPORTED_MODEL_TYPE) {
    throw invalid(
      `${configFile}: the model is ${JSON.stringify(architectures[0] ?? null)} (model_type ${JSON.stringify(config.model_type ?? null)}); only Qwen2.5-VL checkpoints (${SUPPORTED_ARCHITECTURES.join(', ')}, model_type ${SUPPORTED_MODEL_TYPE}) such as GuardTrace-VL-3B can be converted`,
    );
  }
  const textConfig = config.text_config;
  const text: Json =
    textConfig && typeof textConfig === 'object' && !Array.isArray(textConfig)
      ? { ...config, ...(textConfig as Json) }
      : config;
  const vision = config.vision_config;
  if (!vision || typeof vision !== 'object' || Array.isArray(vision)) {
    throw invalid(`${configFile}: has no "vision_config"; a Qwen2.5-VL config.json has one — download it again`);
  }

  const { files, weightMap } = await shardFiles(dir);
  const shards: SafetensorsFile[] = [];
  const tensors = new Map<string, SafetensorsTensor>();
  for (const f of files) {
    const shard = await readSafetensorsHeader(path.join(dir, f));
    shards.push(shard);
    for (const t of shard.tensors) {
      const other = tensors.get(t.name);
      if (other) {
        throw invalid(
          `tensor "${t.name}" is stored twice, in ${path.basename(other.file)} and ${f}; the download mixes two checkpoints — download it again into an empty folder`,
        );
      }
      tensors.set(t.name, t);
    }
  }
  if (weightMap) {
    const missing = [...weightMap.keys()].filter((n) => !tensors.has(n));
    const extra = [...tensors.keys()].filter((n) => !weightMap.has(n));
    if (missing.length || extra.length) {
      const missingFiles = [...new Set(missing.map((n) => weightMap.get(n)!))];
      throw invalid(
        `${path.join(dir, INDEX_FILE)} does not match the shards: ` +
          (missing.length
            ? `${missing.length} tensor(s) it lists are not in ${missingFiles.join(', ')} (first: "${missing[0]}"; incomplete download?)`
            : '') +
          (missing.length && extra.length ? '; ' : '') +
          (extra.length ? `${extra.length} tensor(s) are in no index entry (first: "${extra[0]}")` : ''),
      );
    }
    for (const [name, shard] of weightMap) {
      const actual = path.basename(tensors.get(name)!.file);
      if (actual !== shard)
        throw invalid(`${path.join(dir, INDEX_FILE)}: lists tensor "${name}" in ${shard}, but it is in ${actual}`);
    }
  }
  return { dir, configFile, config, text, vision: vision as Json, tensors, shards };
}
