// npm run bench:engine [-- --quick] [--threads N] [--skip-3b] [--skip-sidecar] [--sidecar-cases N] [--slots 1,2,4]
//                       [--cases-per-slot K] [--skip-locate] [--dry-run] [engine.bench options]
//
// The whole engine comparison in one command, printed as ONE table: the in-process runtimes (engine.bench.ts:
// node-llama-cpp vs llama.node), the llama-server sidecar (sidecar.bench.ts: prompt speed, image cases) and cases per
// hour with N = 1, 2, 4 cases in flight on the sidecar and on the in-process node-llama-cpp engine
// (parallel-cases.bench.ts, then again with --engine node-llama-cpp: ~1,100 cached system tokens, ~1,200 case tokens,
// 300 generated, speed-up against N = 1 of the same run; llama.node audits one case at a time, docs/engine.md). Each
// part runs in its own process, one after the other, so each gets the machine (and its memory) to itself; their
// detailed tables go to stderr, their figures come back as JSON (GUARDTRACE_BENCH_JSON) and the merged table goes to
// stdout.
// Last, one step-localization search (step-locate.bench.ts: a 40-step trace, with and without prefix reuse) on the
// sidecar (node-llama-cpp without a llama-server build), printed as a second table; --skip-locate leaves it out.
// --skip-3b runs only what needs no 3B-shaped model (the app-overhead part, and the parallel bench on the tiny
// model, whose figures mean nothing) — a quick check that everything prints. --dry-run prints the commands.
// The sidecar part includes the image-budget row (a 1920x1080 case at the reference and the small budget; printed in
// the sidecar bench's own table); --skip-image-budget leaves it out (it encodes ~3,900 vision tokens through the
// 3B-shaped tower: minutes on a CPU).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findLlamaServerBinary } from '@main/engine/sidecar/llama-server-binary';
import type { ParallelResult } from './parallel-cases.bench';
import type { SidecarSummary } from './sidecar.bench';
import { locateTable, type LocateBenchRow } from './step-locate-table';

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
    // The parts' own tables go to stderr; stdout gets the merged table only.
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, script), ...args], {
      stdio: ['ignore', process.stderr, 'inherit'],
      env: { ...process.env, ...env },
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

// Our own options are not for engine.bench.ts (it ignores unknown flags, but a value after one would be misread).
const OWN = [
  '--skip-sidecar',
  '--sidecar-cases',
  '--dry-run',
  '--slots',
  '--cases-per-slot',
  '--skip-image-budget',
  '--skip-locate',
];
const engineArgs = argv.filter((arg, i) => !OWN.includes(arg) && !OWN.includes(argv[i - 1] ?? ''));
const jsonDir = mkdtempSync(path.join(os.tmpdir(), 'guardtrace-bench-engine-'));
const jsonFile = (name: string) => path.join(jsonDir, `${name}.json`);
const readJson = <T>(name: string): T | null =>
  existsSync(jsonFile(name)) ? (JSON.parse(readFileSync(jsonFile(name), 'utf8')) as T) : null;
const notes: string[] = [];

const engineCode = await run('engine.bench.ts', engineArgs, { GUARDTRACE_BENCH_JSON: jsonFile('engine') });
if (engineCode !== 0) notes.push(`engine.bench.ts exited with ${engineCode}`);

const parallelArgs = [
  ...(flag('--skip-3b') ? ['--tiny'] : []),
  ...(value('--slots') ? ['--slots', value('--slots')!] : []),
  ...(value('--cases-per-slot')
    ? ['--cases-per-slot', value('--cases-per-slot')!]
    : flag('--quick')
      ? ['--cases-per-slot', '1']
      : []),
  ...(value('--threads') ? ['--threads', value('--threads')!] : []),
];
// In process: the engine the app runs for text-only models, with N sequences (no llama-server binary needed).
const inProcessParallelCode = await run('parallel-cases.bench.ts', ['--engine', 'node-llama-cpp', ...parallelArgs], {
  GUARDTRACE_BENCH_JSON: jsonFile('parallel-node-llama-cpp'),
});
if (inProcessParallelCode !== 0)
  notes.push(`parallel-cases.bench.ts --engine node-llama-cpp exited with ${inProcessParallelCode}`);

let sidecarCode = 0;
const binary = await findLlamaServerBinary(process.env.GUARDTRACE_LLAMA_SERVER ?? null);
if (!binary) {
  notes.push('sidecar: skipped, no llama-server binary in the build cache or on PATH (`npm run build:llama-server`)');
} else {
  if (flag('--skip-sidecar') || flag('--skip-3b')) {
    notes.push(`sidecar image cases: skipped (${flag('--skip-3b') ? '--skip-3b' : '--skip-sidecar'})`);
  } else {
    const env: NodeJS.ProcessEnv = { GUARDTRACE_BENCH_JSON: jsonFile('sidecar') };
    if (flag('--quick') && !process.env.GUARDTRACE_BENCH_NEW_TOKENS) env.GUARDTRACE_BENCH_NEW_TOKENS = '8';
    if (value('--threads')) env.GUARDTRACE_BENCH_THREADS = value('--threads');
    if (value('--sidecar-cases')) env.GUARDTRACE_BENCH_CASES = value('--sidecar-cases');
    if (!flag('--skip-image-budget')) env.GUARDTRACE_BENCH_IMAGE_BUDGET = '1';
    sidecarCode = await run('sidecar.bench.ts', [], env);
  }
  const parallelCode = await run('parallel-cases.bench.ts', parallelArgs, {
    GUARDTRACE_BENCH_JSON: jsonFile('parallel'),
  });
  if (parallelCode !== 0) notes.push(`parallel-cases.bench.ts exited with ${parallelCode}`);
  sidecarCode ||= parallelCode;
}

let locateCode = 0;
if (flag('--skip-locate')) notes.push('step localization: skipped (--skip-locate)');
else {
  locateCode = await run(
    'step-locate.bench.ts',
    [
      '--engine',
      binary ? 'sidecar' : 'node-llama-cpp',
      '--model',
      flag('--skip-3b') ? 'tiny' : '3b',
      ...(value('--threads') ? ['--threads', value('--threads')!] : []),
    ],
    { GUARDTRACE_BENCH_JSON: jsonFile('locate') },
  );
  if (locateCode !== 0) notes.push(`step-locate.bench.ts exited with ${locateCode}`);
  if (!binary) notes.push('step localization: on node-llama-cpp, since there is no llama-server binary');
}

if (!flag('--dry-run')) {
  printMergedTable(
    readJson<EngineFigures>('engine'),
    readJson<SidecarSummary>('sidecar'),
    readJson<{ model: string; results: ParallelResult[] }>('parallel'),
    readJson<{ model: string; results: ParallelResult[] }>('parallel-node-llama-cpp'),
    notes,
  );
}
if (!flag('--dry-run')) {
  const locate = readJson<{ rows: LocateBenchRow[] }>('locate');
  if (locate)
    console.log(
      `\n## Step localization (one search over a ${locate.rows[0]?.steps ?? 40}-step trace; docs/step-localization.md)\n\n${locateTable(locate.rows)}`,
    );
}
rmSync(jsonDir, { recursive: true, force: true });
process.exitCode = engineCode || sidecarCode || inProcessParallelCode || locateCode;

interface EngineFigures {
  throughput: Array<{ runtime: string; build: string; ppPerS: number; tgPerS: number }>;
  typical: Array<{ runtime: string; input: string; reuse: boolean; generated: number; totalS: number }>;
}

function printMergedTable(
  engine: EngineFigures | null,
  sidecar: SidecarSummary | null,
  parallel: { model: string; results: ParallelResult[] } | null,
  inProcessParallel: { model: string; results: ParallelResult[] } | null,
  notes: string[],
): void {
  const f = (n: number | undefined, d = 1) => (n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(d));
  const slots = (parallel ?? inProcessParallel)?.results.map((r) => r.slots) ?? [1, 2, 4];
  const casesPerHour = (results: ParallelResult[] | undefined) =>
    slots.map((n) => {
      const r = results?.find((x) => x.slots === n);
      return r ? `${f(r.casesPerHour, 0)}${n === 1 ? '' : ` (${f(r.speedUp, 2)}×)`}` : '—';
    });
  const throughput = (runtime: string) => engine?.throughput.find((t) => t.runtime.startsWith(runtime));
  const typical = (runtime: string, reuse: boolean) =>
    engine?.typical.find((t) => t.runtime === runtime && t.reuse === reuse);
  const nlc = throughput('node-llama-cpp');
  const ln = throughput('llama.node');
  const nlcCase = typical('node-llama-cpp', true);
  const lnScratch = typical('llama.node', false);
  const lnReused = typical('llama.node', true);
  const n1 = parallel?.results.find((r) => r.slots === 1);
  const rows: string[][] = [
    [
      'node-llama-cpp 3.21.1',
      nlc?.build ?? '—',
      f(nlc?.ppPerS),
      f(nlc?.tgPerS),
      nlcCase ? `${f(nlcCase.totalS)} (text, ${nlcCase.generated} gen)` : '—',
      'no image input',
      ...casesPerHour(inProcessParallel?.results),
    ],
    [
      'llama.node 1.7.15',
      ln?.build ?? '—',
      f(ln?.ppPerS),
      f(ln?.tgPerS),
      '—',
      lnScratch ? `${f(lnScratch.totalS)} / ${f(lnReused?.totalS)} (${lnScratch.generated} gen)` : '—',
      ...slots.map((n) => (n === 1 ? '—' : 'one case at a time (docs/engine.md)')),
    ],
    [
      'llama-server sidecar',
      sidecar?.build ?? (parallel ? 'built here' : '—'),
      f(sidecar?.textPromptTps),
      f(n1?.genTokPerSPerCase),
      '—',
      sidecar ? `${f(sidecar.imageFromScratchS)} / ${f(sidecar.imageReusedS)}` : '—',
      ...casesPerHour(parallel?.results),
    ],
  ];
  const header = [
    'runtime',
    'build',
    'prompt tok/s',
    'gen tok/s',
    'typical case s, prompt reused',
    'image case s, scratch / reused',
    ...slots.map((n) => `cases/h N=${n}${n === 1 ? '' : ' (vs N=1)'}`),
  ];
  console.log(
    `\n## Engines (${(parallel ?? inProcessParallel)?.model ?? '3B-shaped random model'}; ${new Date().toISOString().slice(0, 16)}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load ${os.loadavg()[0].toFixed(1)})\n`,
  );
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  for (const [what, run] of [
    ['llama-server with N slots', parallel],
    ['node-llama-cpp with N sequences', inProcessParallel],
  ] as const) {
    const r = run?.results[0];
    if (run && r)
      console.log(
        `\ncases/hour, ${what}: ${run.model}, ${f(r.cachedTokens, 0)} cached system tokens, ${f(r.caseTokens, 0)} case tokens, ${f(r.generated, 0)} generated per case.`,
      );
  }
  for (const note of notes) console.log(`note: ${note}`);
}
