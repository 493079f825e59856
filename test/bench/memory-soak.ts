// Memory over a long audit batch: `npx tsx test/bench/memory-soak.ts [--cases 10000] [--warmup 1000]
// [--engine sidecar|node-llama-cpp|llama.node] [--parallel N] [--max-tokens 32] [--every 250] [--fill-page-cache] [--keep]`.
//
// Imports synthetic text cases, loads the tiny random-weight model (test/models) through createCore as the app
// does, audits every case and samples the resident memory (RSS) of this process (the app's main process: store,
// runner, engine client) and of the llama-server sidecar. After the warm-up cases, every sample must stay within
// ±10% of the first post-warm-up sample; the script prints the series and the verdict and exits 1 when it fails.
// SQLite's page cache (cache_size, 32 MB on the app's connection) fills as the database grows and then stays at its
// bound, which can pass for growth in a long run. --fill-page-cache reads every page once before the audits
// (PRAGMA quick_check), so the cache starts near its bound and what grows after that is something else.
import { databaseOf } from '../helpers/store-fixtures';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EngineSelection } from '@domain/engine';
import { createCore } from '@main/api/core';
import { createHandlers } from '@main/api/handlers';
import { childPids } from '../helpers/processes';
import { writeTinyModelFolder } from '../models/tiny-gguf';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const CASES = option('--cases', 10_000);
const WARMUP = option('--warmup', Math.min(1_000, Math.floor(CASES / 5)));
const PARALLEL = option('--parallel', 2);
const MAX_TOKENS = option('--max-tokens', 32);
const EVERY = option('--every', Math.max(25, Math.floor(CASES / 40)));
const ENGINE = ((argv.includes('--engine') ? argv[argv.indexOf('--engine') + 1] : undefined) ??
  'sidecar') as EngineSelection;
const TOLERANCE = 0.1;

/** Resident memory of a process in MiB (Linux /proc; elsewhere only this process, through Node). */
function rssMiB(pid: number): number | null {
  if (pid === process.pid) return process.memoryUsage().rss / 2 ** 20;
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'));
    return line ? Number(line.split(/\s+/)[1]) / 1024 : null;
  } catch {
    return null;
  }
}

interface Sample {
  done: number;
  seconds: number;
  main: number;
  /** The main process's JavaScript heap in use: tells a leak in JS objects from native or SQLite page memory. */
  heap: number;
  /** V8's reserved heap and the memory of Buffers/ArrayBuffers outside it (HTTP bodies, native handles). */
  heapTotal: number;
  external: number;
  sidecar: number | null;
}

function withinTolerance(samples: Sample[], pick: (s: Sample) => number | null): string {
  const after = samples.filter((s) => s.done >= WARMUP && pick(s) !== null);
  if (after.length < 2) return `not enough samples after the ${WARMUP}-case warm-up (run more cases)`;
  const base = pick(after[0])!;
  const worst = after.reduce((w, s) => Math.max(w, Math.abs(pick(s)! / base - 1)), 0);
  const verdict = worst <= TOLERANCE ? 'PASS' : 'FAIL';
  return `${verdict}: largest deviation ${(worst * 100).toFixed(1)}% from ${base.toFixed(1)} MiB at ${after[0].done} cases (limit ±${TOLERANCE * 100}%)`;
}

async function main(): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'guardtrace-memory-soak-'));
  try {
    const modelDir = (await writeTinyModelFolder(path.join(dir, 'model'), { withMmproj: ENGINE !== 'node-llama-cpp' }))
      .dir;
    const file = path.join(dir, 'cases.jsonl');
    const lines = Array.from({ length: CASES }, (_, i) =>
      JSON.stringify({
        id: `soak-${i}`,
        question: `question ${i} about item ${i % 97}`,
        thinking: `the user asks about item ${i % 97}; case ${i}`,
        response: `an answer for case ${i}`,
      }),
    );
    writeFileSync(file, lines.join('\n') + '\n');
    const core = await createCore({ dataDir: path.join(dir, 'data'), engine: { threads: 2, gpu: false } });
    const handlers = createHandlers(core);
    try {
      await handlers['import.run']({ file });
      if (argv.includes('--fill-page-cache')) databaseOf(core.dataDir).pragma('quick_check');
      const dbMiB = () =>
        ((databaseOf(core.dataDir).pragma('page_count', { simple: true }) as number) *
          (databaseOf(core.dataDir).pragma('page_size', { simple: true }) as number)) /
        2 ** 20;
      const state = await handlers['engine.load']({ modelDir, engine: ENGINE, parallel: PARALLEL });
      if (state.state !== 'loaded') throw new Error(`the model did not load: ${JSON.stringify(state)}`);
      const sidecarPid = childPids(process.pid, 'llama-server')[0] ?? null;
      console.log(
        `memory soak: ${CASES} cases, engine ${state.info.engine} (${state.info.build.name}), ${state.info.parallelSlots ?? 1} in flight, ${MAX_TOKENS} new tokens each, warm-up ${WARMUP} cases; main pid ${process.pid}, sidecar pid ${sidecarPid ?? 'none'}`,
      );
      console.log(
        '| cases done | s | main RSS MiB | JS heap used MiB | JS heap reserved MiB | external MiB | sidecar RSS MiB |',
      );
      console.log('|---:|---:|---:|---:|---:|---:|---:|');
      const started = performance.now();
      const samples: Sample[] = [];
      const sample = (done: number) => {
        const v8Memory = process.memoryUsage();
        const s: Sample = {
          done,
          seconds: (performance.now() - started) / 1000,
          main: rssMiB(process.pid)!,
          heap: v8Memory.heapUsed / 2 ** 20,
          heapTotal: v8Memory.heapTotal / 2 ** 20,
          external: v8Memory.external / 2 ** 20,
          sidecar: sidecarPid === null ? null : rssMiB(sidecarPid),
        };
        samples.push(s);
        console.log(
          `| ${s.done} | ${s.seconds.toFixed(0)} | ${s.main.toFixed(1)} | ${s.heap.toFixed(1)} | ${s.heapTotal.toFixed(1)} | ${s.external.toFixed(1)} | ${s.sidecar === null ? '—' : s.sidecar.toFixed(1)} |`,
        );
      };
      let nextSample = 0;
      core.events.on('audit.verdict', () => {
        const done = core.jobs.progress().done;
        if (done >= nextSample) {
          sample(done);
          nextSample = done + EVERY;
        }
      });
      await handlers['audit.start']({ maxNewTokens: MAX_TOKENS });
      const final = await core.jobs.whenSettled();
      sample(final.done);
      const rate = final.done / ((performance.now() - started) / 3_600_000);
      console.log(`\n${final.done} audited, ${final.failed} failed, ${Math.round(rate)} cases/hour (tiny model)`);
      console.log(
        `database ${dbMiB().toFixed(1)} MiB; SQLite page cache bound ${(-(databaseOf(core.dataDir).pragma('cache_size', { simple: true }) as number) / 1024).toFixed(1)} MiB (cache_size)`,
      );
      const mainVerdict = withinTolerance(samples, (s) => s.main);
      const sidecarVerdict =
        sidecarPid === null ? 'no sidecar (in-process engine)' : withinTolerance(samples, (s) => s.sidecar);
      console.log(`main process: ${mainVerdict}`);
      console.log(`sidecar: ${sidecarVerdict}`);
      return mainVerdict.startsWith('FAIL') || sidecarVerdict.startsWith('FAIL') ? 1 : 0;
    } finally {
      await core.close();
    }
  } finally {
    if (!argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
