import path from 'node:path';
import { MMPROJ_OUTPUT_TYPES, MODEL_OUTPUT_TYPES } from '@domain/model-convert';
import { EXIT_OK, EXIT_USAGE, UsageError, oneLine, oneOf, stringOption, type Command, type RunContext } from './main';
import { ProgressBar } from './progress-bar';

// `guardtrace model convert`: a downloaded Hugging Face folder → a model folder the app loads. No case store is
// opened: converting touches only the two folders. Only functions are taken from ./main (which imports this file).

function duration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const m = Math.floor(seconds / 60);
  return m < 60
    ? `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

async function runConvert(context: RunContext): Promise<number> {
  const { values, positionals, io } = context;
  if (positionals[0] !== 'convert') {
    throw new UsageError(
      `unknown model subcommand ${JSON.stringify(positionals[0] ?? '')}; the one subcommand is "convert"`,
    );
  }
  if (positionals.length !== 2) throw new UsageError('model convert takes one HF_DIR (the Hugging Face model folder)');
  const hfDir = positionals[1];
  const outDir = stringOption(values, 'out');
  if (!outDir) throw new UsageError('--out DIR is required (a new folder for the converted model)');
  const modelType = oneOf(stringOption(values, 'type'), MODEL_OUTPUT_TYPES, 'type') ?? 'q8_0';
  const mmprojType = oneOf(stringOption(values, 'mmproj-type'), MMPROJ_OUTPUT_TYPES, 'mmproj-type') ?? 'f16';
  const promptFile = stringOption(values, 'prompt');

  const { convertHuggingFaceFolder, ConvertError } = await import('../api/model-convert');
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const bar = io.interactive ? new ProgressBar(io.stderr, 'Converting') : null;
  let lastPhase = '';
  try {
    const result = await convertHuggingFaceFolder({
      hfDir,
      outDir,
      modelType,
      mmprojType,
      promptFile,
      signal: controller.signal,
      onProgress: (p) => {
        const eta = p.etaSeconds === null ? '' : `ETA ${duration(p.etaSeconds)}`;
        if (bar) bar.update(Math.round((p.done / Math.max(p.total, 1)) * 1000), 1000, `${p.phase} ${eta}`);
        else if (p.phase !== lastPhase && !context.json) io.stderr(`${p.phase}… ${eta}\n`);
        lastPhase = p.phase;
      },
    });
    bar?.clear();
    if (context.json) {
      io.stdout(
        `${JSON.stringify({ outDir: result.outDir, modelPath: result.modelPath, mmprojPath: result.mmprojPath, seconds: result.seconds, warnings: result.warnings, check: result.check })}\n`,
      );
      return EXIT_OK;
    }
    io.stdout(
      `Converted ${path.resolve(hfDir)} in ${duration(result.seconds)}\n` +
        `  model:  ${result.modelPath}\n  mmproj: ${result.mmprojPath}\n`,
    );
    for (const w of [...result.warnings, ...result.check.warnings]) io.stderr(`warning: ${oneLine(w)}\n`);
    const remaining = result.check.errors;
    io.stdout(
      remaining.length
        ? `Before loading: ${remaining.map(oneLine).join('; ')}\n`
        : `The model check passed. Load it with: guardtrace audit --model ${result.outDir}  (or Settings → Model)\n`,
    );
    return EXIT_OK;
  } catch (error) {
    bar?.clear();
    if (error instanceof ConvertError) {
      io.stderr(`guardtrace model convert: ${oneLine(error.message)}\n`);
      return EXIT_USAGE;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export const MODEL_COMMANDS: Record<string, Command> = {
  model: {
    summary: 'convert a downloaded Hugging Face Qwen2.5-VL folder into a model folder the app loads',
    usage:
      'guardtrace model convert HF_DIR --out DIR [--type f16|q8_0|q4_k_m|q5_k_m|q6_k] [--mmproj-type f16|f32] [--prompt FILE]',
    details: `  HF_DIR           the Hugging Face snapshot folder (config.json, tokenizer.json, *.safetensors, …)
  --out DIR        a new folder for the result (the language model .gguf, the mmproj .gguf, generation_config.json,
                   conversion.json with the inputs' sha256); written beside it and renamed into place when done
  --type T         language model type (default q8_0); q4_k_m, q5_k_m and q6_k use llama-quantize from
                   \`npm run build:llama-server\`
  --mmproj-type T  the vision projector: f16 (default) or f32
  --prompt FILE    the auditor prompt (qta_pormpt.txt) to copy into the folder, so it is ready to load
Exit 0 when the folder was written and passes the app's model check, 2 on bad input (nothing is left behind).
Ctrl-C cancels and removes the partial folder.`,
    options: {
      out: { type: 'string', short: 'o' },
      type: { type: 'string' },
      'mmproj-type': { type: 'string' },
      prompt: { type: 'string' },
    },
    run: runConvert,
  },
};
