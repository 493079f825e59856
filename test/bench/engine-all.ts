// npm run bench:engine [-- --quick] [--threads N] [--skip-3b] [--skip-sidecar] [--sidecar-cases N] [--dry-run] [engine.bench options]
//
// The whole engine comparison in one command: the in-process runtimes (engine.bench.ts: node-llama-cpp vs llama.node)
// and then the llama-server sidecar (sidecar.bench.ts, which also measures node-llama-cpp in the same script for its
// ratio). Each runs in its own process, one after the other, so each gets the machine (and its memory) to itself:
// both load the 3B-shaped model, and running them at once would measure contention, not the runtimes.
// Options go to engine.bench.ts unchanged; the sidecar bench takes --quick (8 new tokens per case), --threads and
// --sidecar-cases N. The sidecar part is skipped, with the reason printed, when no llama-server binary is found.
// --dry-run prints the two commands (and the sidecar bench's environment) without running them.
// The sidecar part includes the image-budget row (a 1920x1080 case at the reference and the small budget);
// --skip-image-budget leaves it out (it encodes ~3,900 vision tokens through the 3B-shaped tower: minutes on a CPU).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { findLlamaServerBinary } from '@main/engine/sidecar/llama-server-binary';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const value = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const here = import.meta.dirname;

function run(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  if (flag('--dry-run')) {
    const vars = Object.entries(env)
      .map(([k, v]) => `${k}=${v} `)
      .join('');
    console.log(`${vars}${process.execPath} --import tsx ${path.join(here, script)} ${args.join(' ')}`.trimEnd());
    return Promise.resolve(0);
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, script), ...args], {
      stdio: 'inherit',
      env: { ...process.env, ...env },
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

// Our own options are not for engine.bench.ts (it ignores unknown flags, but a value after one would be misread).
const OWN = ['--skip-sidecar', '--sidecar-cases', '--dry-run', '--skip-image-budget'];
const engineArgs = argv.filter((arg, i) => !OWN.includes(arg) && argv[i - 1] !== '--sidecar-cases');
const engineCode = await run('engine.bench.ts', engineArgs);
if (engineCode !== 0) console.error(`engine.bench.ts exited with ${engineCode}; running the sidecar part anyway`);

let sidecarCode = 0;
if (flag('--skip-sidecar') || flag('--skip-3b')) {
  console.log(
    `\n## llama-server sidecar\n\nskipped (${flag('--skip-3b') ? '--skip-3b: it needs the 3B-shaped model' : '--skip-sidecar'})`,
  );
} else {
  const binary = await findLlamaServerBinary(process.env.GUARDTRACE_LLAMA_SERVER ?? null);
  if (!binary) {
    console.log(
      '\n## llama-server sidecar\n\nskipped: no llama-server binary in the build cache or on PATH (build one with `npm run build:llama-server`)',
    );
  } else {
    const env: NodeJS.ProcessEnv = {};
    if (flag('--quick') && !process.env.GUARDTRACE_BENCH_NEW_TOKENS) env.GUARDTRACE_BENCH_NEW_TOKENS = '8';
    if (value('--threads')) env.GUARDTRACE_BENCH_THREADS = value('--threads');
    if (value('--sidecar-cases')) env.GUARDTRACE_BENCH_CASES = value('--sidecar-cases');
    if (!flag('--skip-image-budget')) env.GUARDTRACE_BENCH_IMAGE_BUDGET = '1';
    sidecarCode = await run('sidecar.bench.ts', [], env);
  }
}
process.exitCode = engineCode || sidecarCode;
