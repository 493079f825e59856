// Conversion benchmark: `npm run bench:convert -- [--layers N] [--vision-layers N] [--vocab N] [--types f16,q8_0,q4_k_m] [--dir DIR]`.
// Writes a random BF16 Hugging Face checkpoint with Qwen2.5-VL-3B's shapes (36 text layers, 32 vision blocks,
// 151,936-token vocabulary: ~7.5 GB; the options shrink it), then converts it once per output type, each in a child
// process, and prints a table: seconds, input MB/s, peak resident memory, output size. Goal (issue 21): peak RSS
// under 1 GB whatever the model size, and conversion bound by disk speed. docs/model-setup.md records the figures.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { convertHuggingFaceFolder } from '@main/engine/hf-convert/convert';
import { qwen25vlHfTensors, writeTinyHfCheckpoint } from '../models/tiny-hf-checkpoint';
import { QWEN25VL_3B_LM, QWEN25VL_3B_VISION } from '../models/tiny-gguf';
import type { ModelOutputType } from '@domain/model-convert';

const { values } = parseArgs({
  options: {
    layers: { type: 'string' },
    'vision-layers': { type: 'string' },
    vocab: { type: 'string' },
    types: { type: 'string' },
    dir: { type: 'string' },
    child: { type: 'string' },
    out: { type: 'string' },
    type: { type: 'string' },
  },
});

// Child mode: one conversion, then its own peak RSS (process.resourceUsage().maxRSS is in KiB on Linux).
if (values.child) {
  const result = await convertHuggingFaceFolder({
    hfDir: values.child,
    outDir: values.out!,
    modelType: values.type as ModelOutputType,
  });
  console.log(JSON.stringify({ seconds: result.seconds, maxRssKiB: process.resourceUsage().maxRSS }));
  process.exit(0);
}

function hash(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Cheap deterministic values in ±0.05 (xorshift; the weights' content does not matter, their size does). */
function randomFill(name: string): (out: Float32Array, start: number) => void {
  let state = hash(name) || 1;
  return (out) => {
    for (let i = 0; i < out.length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      out[i] = ((state >>> 0) / 4294967296 - 0.5) * 0.1;
    }
  };
}

const lm = {
  ...QWEN25VL_3B_LM,
  nLayer: Number(values.layers ?? QWEN25VL_3B_LM.nLayer),
  nVocab: Number(values.vocab ?? QWEN25VL_3B_LM.nVocab),
};
const vision = { ...QWEN25VL_3B_VISION, nLayer: Number(values['vision-layers'] ?? QWEN25VL_3B_VISION.nLayer) };
const types = (values.types ?? 'f16,q8_0,q4_k_m').split(',') as ModelOutputType[];
const work = mkdtempSync(path.join(values.dir ?? os.tmpdir(), 'gt-bench-convert-'));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    rmSync(work, { recursive: true, force: true });
    process.exit(130);
  });
}
const dirBytes = (dir: string) => readdirSync(dir).reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);

try {
  const hfDir = path.join(work, 'Qwen2.5-VL-3B-shaped');
  const started = Date.now();
  await writeTinyHfCheckpoint(hfDir, qwen25vlHfTensors(lm, vision, randomFill), {
    lm,
    vision,
    layout: { modern: true, dtype: 'BF16', shards: Math.max(1, Math.round(lm.nLayer / 18)) },
  });
  const inputBytes = dirBytes(hfDir);
  console.log(
    `checkpoint: ${lm.nLayer} text layers, ${vision.nLayer} vision blocks, vocabulary ${lm.nVocab}: ` +
      `${(inputBytes / 2 ** 30).toFixed(2)} GiB BF16, written in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  console.log(
    `load: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (1/5/15 min), ${os.cpus().length} CPUs`,
  );
  console.log('');
  console.log('| output | seconds | input MB/s | peak RSS MB | model + mmproj MB |');
  console.log('|---|---:|---:|---:|---:|');
  const self = fileURLToPath(import.meta.url);
  for (const type of types) {
    const out = path.join(work, `out-${type}`);
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', self, '--child', hfDir, '--out', out, '--type', type],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, TSX_TSCONFIG_PATH: path.resolve('tsconfig.json') },
      },
    );
    if (child.status !== 0) {
      console.log(`| ${type} | failed (exit ${child.status}) | | | |`);
      continue;
    }
    const r = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { seconds: number; maxRssKiB: number };
    const outBytes = readdirSync(out)
      .filter((f) => f.endsWith('.gguf'))
      .reduce((n, f) => n + statSync(path.join(out, f)).size, 0);
    console.log(
      `| ${type} | ${r.seconds.toFixed(1)} | ${(inputBytes / 1e6 / r.seconds).toFixed(0)} | ${(r.maxRssKiB / 1024).toFixed(0)} | ${(outBytes / 1e6).toFixed(0)} |`,
    );
    rmSync(out, { recursive: true, force: true });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
