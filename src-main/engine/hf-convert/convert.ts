// `guardtrace model convert`: a Hugging Face Qwen2.5-VL snapshot folder → a model folder the app loads (language
// model GGUF, projector GGUF, generation_config.json, optionally the auditor prompt, conversion.json with the
// inputs' sha256). Everything is written into a hidden sibling folder and renamed into place only after the app's
// own model check passed on it, so an interrupted, cancelled or failed run leaves nothing loadable behind.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, statfs, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ConvertPhase, ConvertProgress } from '@domain/model-convert';
import { processIsAlive } from '@main/platform/process';
import { checkModelFolderDetailed, GENERATION_CONFIG_FILE, type DetailedFolderCheck } from '../model-folder';
import { DEFAULT_PROFILE } from '../profiles';
import { ConvertError } from './convert-error';
import { openCheckpoint } from './hf-checkpoint';
import { findLlamaQuantize } from './llama-quantize';
import {
  LLAMA_CPP_COMMIT,
  planConversion,
  type ConversionPlan,
  type MmprojOutputType,
  type ModelOutputType,
} from './plan';
import { SafetensorsReader } from './safetensors';
import { buildGgufVocab } from './tokenizer';
import { plannedElements, plannedFileBytes, writePlannedGguf } from './write-gguf';

export type { ConvertPhase, ConvertProgress } from '@domain/model-convert';

export interface ConvertOptions {
  hfDir: string;
  outDir: string;
  modelType?: ModelOutputType;
  mmprojType?: MmprojOutputType;
  /** The auditor prompt to copy into the folder (as the profile's file name). */
  promptFile?: string;
  onProgress?: (p: ConvertProgress) => void;
  signal?: AbortSignal;
  /** llama-quantize for K-quants; default: the cached build (npm run build:llama-server), else PATH. */
  llamaQuantize?: string;
  /** Free bytes at the output (tests simulate a full disk); default: statfs. */
  freeBytes?: (dir: string) => Promise<number>;
}

export interface ConvertResult {
  outDir: string;
  modelPath: string;
  mmprojPath: string;
  check: DetailedFolderCheck;
  warnings: string[];
  seconds: number;
}

export const CONVERSION_RECORD = 'conversion.json';
const PARTIAL_MARK = '.converting-';

function fileStem(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'model';
}

async function sha256(file: string, onBytes: (n: number) => void, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    const stream = createReadStream(file, { highWaterMark: 1 << 22 });
    stream.on('data', (chunk) => {
      if (signal?.aborted) {
        stream.destroy();
        reject(new ConvertError('cancelled', 'conversion cancelled'));
        return;
      }
      h.update(chunk);
      onBytes(chunk.length);
    });
    stream.on('error', (err) =>
      reject(new ConvertError('invalid_checkpoint', `${file}: cannot be read (${err.message})`)),
    );
    stream.on('end', () => resolve());
  });
  return h.digest('hex');
}

/** Partial folders of runs that died (their pid is gone) are removed, so a restart starts clean. */
async function removeStalePartials(outDir: string): Promise<void> {
  const parent = path.dirname(outDir);
  const prefix = `.${path.basename(outDir)}${PARTIAL_MARK}`;
  for (const entry of await readdir(parent).catch(() => [] as string[])) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && !processIsAlive(pid)) {
      await rm(path.join(parent, entry), { recursive: true, force: true });
    }
  }
}

async function checkOutputDir(outDir: string): Promise<void> {
  const s = await stat(outDir).catch(() => null);
  if (!s) return;
  if (!s.isDirectory())
    throw new ConvertError('invalid_output', `${outDir}: exists and is not a folder; choose a new output folder`);
  const entries = await readdir(outDir);
  if (entries.length > 0) {
    throw new ConvertError(
      'invalid_output',
      `${outDir}: the folder exists and is not empty; choose a new output folder (nothing is overwritten)`,
    );
  }
}

/** K-quants from F16: the F16 file, then the quantized one, before the F16 one is deleted. */
const K_QUANT_SIZE_FRACTION: Record<string, number> = { q4_k_m: 0.33, q5_k_m: 0.38, q6_k: 0.45 };

const LLAMA_QUANTIZE_TYPES: Record<string, string> = { q4_k_m: 'Q4_K_M', q5_k_m: 'Q5_K_M', q6_k: 'Q6_K' };

export async function convertHuggingFaceFolder(opts: ConvertOptions): Promise<ConvertResult> {
  const started = Date.now();
  const modelType = opts.modelType ?? 'q8_0';
  const mmprojType = opts.mmprojType ?? 'f16';
  const hfDir = path.resolve(opts.hfDir);
  const outDir = path.resolve(opts.outDir);
  const signal = opts.signal;
  const warnings: string[] = [];
  let total = 0;
  let done = 0;
  let phase: ConvertPhase = 'checking';
  let lastReport = 0;
  let lastPhase: ConvertPhase | null = null;
  const report = (force = false) => {
    const now = Date.now();
    // At most five updates a second, but every phase change is reported.
    if (!force && phase === lastPhase && now - lastReport < 200) return;
    lastReport = now;
    lastPhase = phase;
    const elapsedSeconds = (now - started) / 1000;
    const etaSeconds = done > 0 && total > 0 && elapsedSeconds > 1 ? (elapsedSeconds * (total - done)) / done : null;
    opts.onProgress?.({ phase, done, total, elapsedSeconds, etaSeconds });
  };
  const throwIfCancelled = () => {
    if (signal?.aborted)
      throw new ConvertError('cancelled', 'conversion cancelled; nothing was written to the output folder');
  };

  report(true);
  await checkOutputDir(outDir);
  const ckpt = await openCheckpoint(hfDir);
  const vocab = await buildGgufVocab(hfDir, ckpt.text, ckpt.config);
  const name = path.basename(hfDir);
  const plan: ConversionPlan = await planConversion(ckpt, vocab, { modelType, mmprojType, name });
  warnings.push(...plan.warnings);
  let promptText: Buffer | null = null;
  if (opts.promptFile) {
    promptText = await readFile(opts.promptFile).catch((err: NodeJS.ErrnoException) => {
      throw new ConvertError(
        'invalid_output',
        `${opts.promptFile}: the prompt file cannot be read (${err.code ?? err.message})`,
      );
    });
  }
  let quantizeBinary: string | null = null;
  if (LLAMA_QUANTIZE_TYPES[modelType]) {
    quantizeBinary = opts.llamaQuantize ?? (await findLlamaQuantize());
    if (!quantizeBinary) {
      throw new ConvertError(
        'invalid_output',
        `--type ${modelType} needs llama-quantize, which was not found (looked in the llama-server build cache and on PATH); build it offline with \`npm run build:llama-server\`, or convert with --type q8_0 or f16`,
      );
    }
  }

  // Disk space: both GGUF files (and, for K-quants, the F16 file they are made from) must fit, with a margin.
  const modelBytes = plannedFileBytes(plan.model);
  const mmprojBytes = plannedFileBytes(plan.mmproj);
  const needed =
    modelBytes + mmprojBytes + (quantizeBinary ? modelBytes * K_QUANT_SIZE_FRACTION[modelType] : 0) + (64 << 20);
  const parent = path.dirname(outDir);
  await mkdir(parent, { recursive: true });
  const free = opts.freeBytes
    ? await opts.freeBytes(parent)
    : await statfs(parent).then((s) => Number(s.bavail) * Number(s.bsize));
  if (free < needed) {
    throw new ConvertError(
      'disk_full',
      `${parent}: ${(free / 2 ** 30).toFixed(2)} GiB free, the conversion needs about ${(needed / 2 ** 30).toFixed(2)} GiB; free space or choose an output folder on another disk`,
    );
  }

  const inputs = [
    ckpt.configFile,
    ...vocab.files,
    ...plan.files,
    ...ckpt.shards.map((s) => s.file),
    ...(await stat(path.join(hfDir, 'model.safetensors.index.json')).then(
      () => [path.join(hfDir, 'model.safetensors.index.json')],
      () => [],
    )),
    ...(await stat(path.join(hfDir, GENERATION_CONFIG_FILE)).then(
      () => [path.join(hfDir, GENERATION_CONFIG_FILE)],
      () => [],
    )),
  ];
  const inputSizes = await Promise.all(inputs.map((f) => stat(f).then((s) => s.size)));
  total = inputSizes.reduce((a, b) => a + b, 0) + plannedElements(plan.model) + plannedElements(plan.mmproj);

  await removeStalePartials(outDir);
  const partial = path.join(
    parent,
    `.${path.basename(outDir)}${PARTIAL_MARK}${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  await mkdir(partial);
  const readers = new Map<string, SafetensorsReader>();
  try {
    phase = 'checksums';
    const checksums: Record<string, { bytes: number; sha256: string }> = {};
    for (let i = 0; i < inputs.length; i++) {
      throwIfCancelled();
      const digest = await sha256(
        inputs[i],
        (n) => {
          done += n;
          report();
        },
        signal,
      );
      checksums[path.relative(hfDir, inputs[i])] = { bytes: inputSizes[i], sha256: digest };
    }

    for (const shard of ckpt.shards) readers.set(shard.file, await SafetensorsReader.open(shard.file));
    const readerFor = (file: string) => readers.get(file)!;
    const onElements = (n: number) => {
      done += n;
      report();
    };
    const stem = fileStem(name);
    const directType = modelType === 'q8_0' ? 'Q8_0' : 'F16';
    const modelName = `${stem}-${LLAMA_QUANTIZE_TYPES[modelType] ?? directType}.gguf`;
    const mmprojName = `mmproj-${stem}-${mmprojType.toUpperCase()}.gguf`;
    const modelPath = path.join(partial, modelName);
    const directModelPath = quantizeBinary ? path.join(partial, `${stem}-F16.unquantized`) : modelPath;

    phase = 'model';
    await writePlannedGguf(directModelPath, plan.model, readerFor, { onElements, signal, warnings });
    phase = 'mmproj';
    await writePlannedGguf(path.join(partial, mmprojName), plan.mmproj, readerFor, { onElements, signal, warnings });
    if (quantizeBinary) {
      phase = 'quantize';
      report(true);
      await runLlamaQuantize(quantizeBinary, directModelPath, modelPath, LLAMA_QUANTIZE_TYPES[modelType], signal);
      await unlink(directModelPath);
    }

    const generationConfig = path.join(hfDir, GENERATION_CONFIG_FILE);
    if (
      await stat(generationConfig).then(
        () => true,
        () => false,
      )
    ) {
      await copyFile(generationConfig, path.join(partial, GENERATION_CONFIG_FILE));
    } else {
      warnings.push(`${generationConfig}: not found; the app will use the reference repetition penalty`);
    }
    if (promptText) await writeFile(path.join(partial, DEFAULT_PROFILE.prompt.fileName), promptText);

    const record = {
      convertedBy: 'guardtrace model convert',
      llamaCppConverterCommit: LLAMA_CPP_COMMIT,
      source: hfDir,
      convertedAt: new Date().toISOString(),
      modelType,
      mmprojType,
      files: { model: modelName, mmproj: mmprojName },
      inputs: checksums,
      warnings,
    };
    await writeFile(path.join(partial, CONVERSION_RECORD), `${JSON.stringify(record, null, 2)}\n`);

    // The same check the app runs before loading. Without a prompt the folder cannot pass it yet, so only the
    // model-file errors count then; the user adds the prompt (or passes --prompt) before loading.
    phase = 'verifying';
    report(true);
    const check = await checkModelFolderDetailed(partial);
    const promptMissing = (e: string) => !promptText && e.includes(DEFAULT_PROFILE.prompt.fileName);
    const errors = check.errors.filter((e) => !promptMissing(e));
    if (errors.length) {
      throw new ConvertError(
        'invalid_checkpoint',
        `the converted folder fails the app's model check: ${errors.join('; ').replaceAll(partial, outDir)}`,
      );
    }
    throwIfCancelled();
    await rename(partial, outDir).catch(async (err: NodeJS.ErrnoException) => {
      throw new ConvertError(
        'invalid_output',
        `${outDir}: could not move the finished folder into place (${err.code ?? err.message}); choose a new output folder`,
      );
    });
    phase = 'done';
    done = total;
    report(true);
    const moved = (p: string | null) => (p ? path.join(outDir, path.basename(p)) : p);
    return {
      outDir,
      modelPath: path.join(outDir, modelName),
      mmprojPath: path.join(outDir, mmprojName),
      check: {
        ...check,
        modelPath: moved(check.modelPath),
        mmprojPath: moved(check.mmprojPath),
        promptPath: moved(check.promptPath),
        errors: check.errors.map((e) => e.replaceAll(partial, outDir)),
        warnings: check.warnings.map((w) => w.replaceAll(partial, outDir)),
      },
      warnings,
      seconds: (Date.now() - started) / 1000,
    };
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    throw err;
  } finally {
    for (const r of readers.values()) await r.close();
  }
}

async function runLlamaQuantize(
  binary: string,
  input: string,
  output: string,
  type: string,
  signal?: AbortSignal,
): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(binary, [input, output, type], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const onAbort = () => child.kill('SIGTERM');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) =>
      reject(new ConvertError('invalid_output', `${binary}: could not start llama-quantize (${err.message})`)),
    );
    child.on('close', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) reject(new ConvertError('cancelled', 'conversion cancelled'));
      else if (code === 0) resolve();
      else {
        const full = /No space left|ENOSPC/i.test(stderr);
        reject(
          new ConvertError(
            full ? 'disk_full' : 'invalid_output',
            `llama-quantize ${type} failed (${sig ?? `exit ${code}`}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
          ),
        );
      }
    });
  });
}
