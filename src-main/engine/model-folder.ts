// Validates a guard-model folder BEFORE anything is loaded, from GGUF headers only, and says what to fix. What the
// folder must hold (prompt file and hash, architecture, projector) comes from the guard-model profile.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ModelFolderCheck } from '@domain/engine';
import { DEFAULT_PROFILE } from './profiles';
import { loadSystemPrompt, type GuardModelProfile } from './profiles/profile';
import {
  GgufFormatError,
  metaBool,
  metaNumber,
  metaString,
  quantizationName,
  readGgufHeader,
} from './gguf/gguf-reader';
import type { GgufHeader } from './gguf/gguf-types';

export const GENERATION_CONFIG_FILE = 'generation_config.json';

export type FolderIssueCode = 'model_folder_invalid' | 'mmproj_mismatch' | 'prompt_hash_mismatch';

export interface ModelFacts {
  path: string;
  name: string;
  architecture: string;
  quantization: string;
  sizeBytes: number;
  contextLength: number | null;
  embeddingLength: number | null;
  chatTemplate: string | null;
}

export interface DetailedFolderCheck extends ModelFolderCheck {
  /** The code of the first error, for EngineError. */
  errorCode: FolderIssueCode | null;
  model: ModelFacts | null;
  mmproj: { path: string; projector: string | null; projectionDim: number | null; sizeBytes: number } | null;
  /** repetition_penalty from generation_config.json beside the model; null when there is no such file. */
  generationConfig: { path: string; repetitionPenalty: number | null } | null;
}

/**
 * Reads the HF generation_config.json the model was published with (copied into the model folder). Only the
 * repetition penalty matters for greedy decoding. A file that cannot be used is an error, not a silent default.
 */
export async function readGenerationConfig(
  dir: string,
  errors: string[],
): Promise<DetailedFolderCheck['generationConfig']> {
  const file = path.join(dir, GENERATION_CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = JSON.parse(text) as { repetition_penalty?: unknown };
    const value = parsed.repetition_penalty;
    if (value === undefined) return { path: file, repetitionPenalty: null };
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      errors.push(
        `${file}: repetition_penalty must be a positive number (got ${JSON.stringify(value)}); fix or remove the file`,
      );
      return null;
    }
    return { path: file, repetitionPenalty: value };
  } catch (err) {
    errors.push(`${file}: is not valid JSON (${(err as Error).message}); copy it again from the model repository`);
    return null;
  }
}

const fileHashes = new Map<string, Promise<string>>();

/**
 * sha256 of a whole file, for provenance. Cached by path, size and mtime: a 3 GB model costs seconds to hash, so it
 * is hashed once per change, not once per load.
 */
export async function fileSha256(file: string): Promise<string> {
  const s = await stat(file);
  const key = `${path.resolve(file)}|${s.size}|${s.mtimeMs}`;
  let hash = fileHashes.get(key);
  if (!hash) {
    hash = new Promise<string>((resolve, reject) => {
      const h = createHash('sha256');
      createReadStream(file, { highWaterMark: 1 << 22 })
        .on('data', (chunk) => h.update(chunk))
        .on('error', reject)
        .on('end', () => resolve(h.digest('hex')));
    });
    fileHashes.set(key, hash);
    hash.catch(() => fileHashes.delete(key));
  }
  return hash;
}

async function exists(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

async function header(file: string, errors: string[]): Promise<GgufHeader | null> {
  try {
    return await readGgufHeader(file, { readTensors: false, maxArrayLength: 64 });
  } catch (err) {
    if (err instanceof GgufFormatError) errors.push(err.message);
    else errors.push(`${file}: cannot be read (${(err as Error).message})`);
    return null;
  }
}

/** Stable model identity without hashing gigabytes: file size + first and last MiB of each file. */
export async function modelFingerprint(files: string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of files) {
    const handle = await open(f, 'r');
    try {
      const { size } = await handle.stat();
      h.update(`${path.basename(f)}:${size}:`);
      const n = Math.min(size, 1 << 20);
      const buf = Buffer.alloc(n);
      await handle.read(buf, 0, n, 0);
      h.update(buf);
      await handle.read(buf, 0, n, size - n);
      h.update(buf);
    } finally {
      await handle.close();
    }
  }
  return h.digest('hex').slice(0, 12);
}

function isMmprojName(file: string): boolean {
  return /mmproj|projector|vision/i.test(path.basename(file));
}

export async function checkModelFolderDetailed(
  dirOrFiles: string | { model: string; mmproj?: string; prompt: string },
  profile: GuardModelProfile = DEFAULT_PROFILE,
): Promise<DetailedFolderCheck> {
  const PROMPT_FILE_NAME = profile.prompt.fileName;
  const EXPECTED_LM_ARCHITECTURE = profile.model.architecture;
  const EXPECTED_PROJECTOR = profile.model.projector;
  const errors: string[] = [];
  const warnings: string[] = [];
  let errorCode: FolderIssueCode | null = null;
  const fail = (code: FolderIssueCode, message: string) => {
    errors.push(message);
    errorCode ??= code;
  };
  let modelPath: string | null = null;
  let mmprojPath: string | null = null;
  let promptPath: string | null = null;

  if (typeof dirOrFiles === 'string') {
    const dir = path.resolve(dirOrFiles);
    let entries: string[] = [];
    try {
      entries = await readdir(dir);
    } catch (err) {
      fail(
        'model_folder_invalid',
        `${dir}: the model folder cannot be opened (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); choose the folder that holds the GuardTrace-VL .gguf files`,
      );
    }
    const ggufs = entries
      .filter((e) => e.toLowerCase().endsWith('.gguf'))
      .sort()
      .map((e) => path.join(dir, e));
    // Decide LM vs projector by the header's architecture; the file name only breaks ties for unreadable files.
    const lms: string[] = [];
    const projectors: string[] = [];
    for (const g of ggufs) {
      const arch = await readGgufHeader(g, { readTensors: false, maxArrayLength: 0 })
        .then((h) => metaString(h, 'general.architecture'))
        .catch(() => null);
      if (arch === 'clip' || (arch === null && isMmprojName(g))) projectors.push(g);
      else lms.push(g);
    }
    if (entries.length > 0 || ggufs.length > 0) {
      if (lms.length === 0)
        fail(
          'model_folder_invalid',
          `${dir}: no language-model .gguf file found (expected e.g. GuardTrace-VL-3B-Q8_0.gguf)`,
        );
      else if (lms.length > 1)
        fail(
          'model_folder_invalid',
          `${dir}: several language-model .gguf files (${lms.map((f) => path.basename(f)).join(', ')}); keep one in the folder or choose the three files individually`,
        );
      else modelPath = lms[0];
      if (projectors.length > 1)
        fail(
          'model_folder_invalid',
          `${dir}: several mmproj .gguf files (${projectors.map((f) => path.basename(f)).join(', ')}); keep the one that matches the model`,
        );
      else mmprojPath = projectors[0] ?? null;
    } else if (errors.length === 0) {
      fail(
        'model_folder_invalid',
        `${dir}: the folder is empty; it must hold the model .gguf, the mmproj .gguf and ${PROMPT_FILE_NAME}`,
      );
    }
    for (const candidate of [
      path.join(dir, PROMPT_FILE_NAME),
      ...profile.prompt.alsoLookIn.map((sub) => path.join(dir, sub, PROMPT_FILE_NAME)),
    ]) {
      if (await exists(candidate)) {
        promptPath = candidate;
        break;
      }
    }
    if (!promptPath) {
      fail(
        'model_folder_invalid',
        `${dir}: ${PROMPT_FILE_NAME} not found (looked in the folder${profile.prompt.alsoLookIn.map((d) => ` and in ${d}/`).join('')}); copy ${profile.prompt.source} into the folder`,
      );
    }
  } else {
    modelPath = path.resolve(dirOrFiles.model);
    mmprojPath = dirOrFiles.mmproj ? path.resolve(dirOrFiles.mmproj) : null;
    promptPath = path.resolve(dirOrFiles.prompt);
    for (const [what, p] of [
      ['model file', modelPath],
      ['mmproj file', mmprojPath],
      ['prompt file', promptPath],
    ] as const) {
      if (p && !(await exists(p))) fail('model_folder_invalid', `${p}: the ${what} does not exist; choose it again`);
    }
  }

  let model: ModelFacts | null = null;
  if (modelPath && (await exists(modelPath))) {
    const h = await header(modelPath, errors);
    if (!h) errorCode ??= 'model_folder_invalid';
    else {
      const arch = metaString(h, 'general.architecture') ?? '(none)';
      model = {
        path: modelPath,
        name: metaString(h, 'general.name') ?? path.basename(modelPath, '.gguf'),
        architecture: arch,
        quantization: quantizationName(h),
        sizeBytes: (await stat(modelPath)).size,
        contextLength: metaNumber(h, `${arch}.context_length`),
        embeddingLength: metaNumber(h, `${arch}.embedding_length`),
        chatTemplate: metaString(h, 'tokenizer.chat_template'),
      };
      if (arch === 'clip') {
        fail(
          'model_folder_invalid',
          `${modelPath}: this is a vision projector (mmproj), not the language model; choose the GuardTrace-VL model .gguf as the model`,
        );
      } else if (arch !== EXPECTED_LM_ARCHITECTURE) {
        fail(
          'model_folder_invalid',
          `${modelPath}: architecture is "${arch}", expected "${EXPECTED_LM_ARCHITECTURE}" (${profile.model.description}); choose the ${profile.displayName} .gguf`,
        );
      }
      if (model.chatTemplate && !model.chatTemplate.includes('<|im_start|>')) {
        warnings.push(
          `${modelPath}: the embedded chat template is not ChatML; GuardTrace input is rendered with the Qwen2.5-VL template regardless`,
        );
      }
    }
  }

  let mmproj: DetailedFolderCheck['mmproj'] = null;
  if (mmprojPath && (await exists(mmprojPath))) {
    const h = await header(mmprojPath, errors);
    if (!h) errorCode ??= 'mmproj_mismatch';
    else {
      const arch = metaString(h, 'general.architecture');
      const projector = metaString(h, 'clip.projector_type');
      const projectionDim = metaNumber(h, 'clip.vision.projection_dim');
      mmproj = { path: mmprojPath, projector, projectionDim, sizeBytes: (await stat(mmprojPath)).size };
      if (arch !== 'clip') {
        fail(
          'mmproj_mismatch',
          `${mmprojPath}: architecture is "${arch ?? '(none)'}", expected "clip" (an mmproj file); choose the mmproj-*.gguf that came with the model`,
        );
      } else if (projector !== EXPECTED_PROJECTOR) {
        fail(
          'mmproj_mismatch',
          `${mmprojPath}: projector type is "${projector ?? '(none)'}", expected "${EXPECTED_PROJECTOR}" (Qwen2.5-VL); choose the mmproj made for GuardTrace-VL-3B`,
        );
      } else if (metaBool(h, 'clip.has_vision_encoder') === false) {
        fail('mmproj_mismatch', `${mmprojPath}: has no vision encoder; choose the mmproj made for GuardTrace-VL-3B`);
      } else if (model?.embeddingLength != null && projectionDim !== model.embeddingLength) {
        fail(
          'mmproj_mismatch',
          `${mmprojPath}: clip.vision.projection_dim is ${projectionDim ?? '(missing)'} but the language model's embedding_length is ${model.embeddingLength}; this mmproj belongs to a different model — use the mmproj from the same release as ${path.basename(model.path)}`,
        );
      }
    }
  } else if (!mmprojPath && modelPath) {
    warnings.push(
      `no mmproj .gguf found next to ${path.basename(modelPath)}: image cases cannot be audited (text-only model); add GuardTrace-VL's mmproj file to audit images`,
    );
  }

  const configDir =
    typeof dirOrFiles === 'string' ? path.resolve(dirOrFiles) : path.dirname(path.resolve(dirOrFiles.model));
  const generationConfig = await readGenerationConfig(configDir, errors);
  if (errors.length && !errorCode) errorCode = 'model_folder_invalid';
  if (!generationConfig?.repetitionPenalty && modelPath) {
    warnings.push(
      `${path.join(configDir, GENERATION_CONFIG_FILE)}: ${generationConfig ? 'has no repetition_penalty' : 'not found'}; ` +
        `using the reference repetition penalty ${profile.recipe.repetitionPenalty} (the base model's). Copy generation_config.json ` +
        "from the model's repository into the folder to use the published value",
    );
  }

  let promptSha256: string | null = null;
  let promptHashOk = false;
  if (promptPath && (await exists(promptPath))) {
    const p = await loadSystemPrompt(promptPath, profile);
    promptSha256 = p.sha256;
    promptHashOk = p.hashOk;
    if (!p.hashOk) {
      warnings.push(
        `${promptPath}: prompt sha256 ${p.sha256.slice(0, 12)}… differs from ${profile.displayName}'s ${profile.prompt.sha256.slice(0, 12)}… (after stripping whitespace); verdicts will not be comparable to ${profile.displayName}'s. Load with "accept prompt mismatch" to use it anyway; every verdict then records promptHashOk=false`,
      );
    }
  }

  return {
    ok: errors.length === 0,
    modelPath,
    mmprojPath,
    promptPath,
    promptSha256,
    promptHashOk,
    errors,
    warnings,
    errorCode,
    model,
    mmproj,
    generationConfig,
  };
}

export async function checkModelFolder(
  dirOrFiles: string | { model: string; mmproj?: string; prompt: string },
  profile: GuardModelProfile = DEFAULT_PROFILE,
): Promise<ModelFolderCheck> {
  const d = await checkModelFolderDetailed(dirOrFiles, profile);
  return {
    ok: d.ok,
    modelPath: d.modelPath,
    mmprojPath: d.mmprojPath,
    promptPath: d.promptPath,
    promptSha256: d.promptSha256,
    promptHashOk: d.promptHashOk,
    errors: d.errors,
    warnings: d.warnings,
  };
}
