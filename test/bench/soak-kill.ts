// Soak test, not a timed test: SIGKILLs `guardtrace audit --engine sidecar` at random moments of a batch with the
// tiny random-weight model, then resumes to the end, and prints cases, verdicts, generations and orphans.
// Expected: every case exactly one verdict, and no llama-server left running after any kill.
//   npx tsx test/bench/soak-kill.ts [KILLS=20] [CASES=40]
// Generations are counted from llama-server's own log (one "launch_slot_" line per request it started), so a
// case generated twice shows up even though the store would keep only one verdict.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { findLlamaServerBinary } from '@main/engine/sidecar/llama-server-binary';
import { DATABASE_FILE } from '@main/store/sqlite/open-database';
import { REPO_ROOT } from '../helpers/shared-dir';
import { writeTinyModelFolder } from '../models/tiny-gguf';

const KILLS = Number(process.argv[2] ?? 20);
const CASES = Number(process.argv[3] ?? 40);
const BIN = path.join(REPO_ROOT, 'src-main/cli/bin.mjs');

function run(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
}

/** llama-server processes serving our temp model: after a kill they must all be gone. */
function serversFor(modelDir: string): number[] {
  const out = execFileSync('ps', ['-ww', '-A', '-o', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter(
      (line) =>
        line.includes('llama-server') && line.includes(modelDir) && !line.includes('guardtrace-sidecar-watchdog'),
    )
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

function count(dataDir: string, sql: string): number {
  const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function generations(dataDir: string): number {
  const dir = path.join(dataDir, 'logs');
  return readdirSync(dir)
    .filter((name) => name.startsWith('llama-server.log'))
    .reduce((sum, name) => sum + (readFileSync(path.join(dir, name), 'utf8').match(/launch_slot_/g)?.length ?? 0), 0);
}

async function main(): Promise<void> {
  if (!(await findLlamaServerBinary(null))) {
    console.error('No llama-server binary: run `npm run build:llama-server` first.');
    process.exit(2);
  }
  const root = mkdtempSync(path.join(os.tmpdir(), 'guardtrace-soak-'));
  const dataDir = path.join(root, 'data');
  const { dir: modelDir } = await writeTinyModelFolder(path.join(root, 'model'));
  const casesFile = path.join(root, 'cases.jsonl');
  writeFileSync(
    casesFile,
    Array.from({ length: CASES }, (_, i) =>
      JSON.stringify({
        id: `soak-${i}`,
        question: `question ${i}`,
        thinking: `thinking ${i}`,
        response: `response ${i}`,
      }),
    ).join('\n') + '\n',
  );
  const imported = await run(['import', casesFile, '--data-dir', dataDir]);
  if (imported.code !== 0) throw new Error(`import failed: ${imported.stderr}`);
  const audit = [
    'audit',
    '--data-dir',
    dataDir,
    '--model',
    modelDir,
    '--engine',
    'sidecar',
    '--threads',
    '1',
    '--max-tokens',
    '200',
  ];

  let orphans = 0;
  let killsLanded = 0;
  let starts = 0;
  for (let kill = 1; kill <= KILLS; kill++) {
    const child = spawn(process.execPath, [BIN, ...audit], { stdio: 'ignore' });
    starts++;
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const delay = 1500 + Math.random() * 6000; // start-up takes ~1-3 s, so some kills land before the first case
    const finished = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), delay)),
    ]);
    if (!finished) {
      child.kill('SIGKILL');
      await exited;
      killsLanded++;
    }
    // The watchdog needs a moment (SIGTERM, then SIGKILL after 3 s).
    let left = serversFor(modelDir);
    for (let waited = 0; left.length && waited < 10_000; waited += 250) {
      await new Promise((r) => setTimeout(r, 250));
      left = serversFor(modelDir);
    }
    orphans += left.length;
    for (const pid of left) process.kill(pid, 'SIGKILL');
    const verdicts = count(dataDir, 'SELECT count(*) AS n FROM audits');
    console.log(
      `kill ${kill}/${KILLS} after ${Math.round(delay)} ms: ${finished ? 'batch had finished' : 'killed'}; verdicts ${verdicts}/${CASES}; orphans ${left.length}`,
    );
    if (verdicts >= CASES) break;
  }
  const resumed = await run(audit);
  const verdicts = count(dataDir, 'SELECT count(*) AS n FROM audits');
  const casesWithOne = count(
    dataDir,
    'SELECT count(*) AS n FROM (SELECT case_id FROM audits GROUP BY case_id HAVING count(*) = 1)',
  );
  const running = count(dataDir, "SELECT count(*) AS n FROM jobs WHERE status = 'running'");
  const failed = count(dataDir, "SELECT count(*) AS n FROM jobs WHERE status = 'failed'");
  const maxAttempts = count(dataDir, 'SELECT coalesce(max(attempts), 0) AS n FROM jobs');
  const summary = {
    cases: CASES,
    kills: killsLanded,
    resumeExit: resumed.code,
    verdicts,
    casesWithExactlyOneVerdict: casesWithOne,
    // Every engine start that got as far as connecting adds 2 one-token vision-probe requests (a kill during start-up
    // adds fewer, so this is approximate); a kill during a case adds its partial generation.
    serverRequests: generations(dataDir),
    engineStarts: starts + 1,
    generations: generations(dataDir) - 2 * (starts + 1),
    jobsRunning: running,
    jobsFailed: failed,
    maxAttempts,
    orphanedServers: orphans + serversFor(modelDir).length,
  };
  console.log(JSON.stringify(summary, null, 2));
  const ok =
    verdicts === CASES &&
    casesWithOne === CASES &&
    running === 0 &&
    summary.orphanedServers === 0 &&
    resumed.code === 0;
  console.log(
    ok
      ? 'OK: every case exactly once, no orphans'
      : `FAILED${resumed.stderr ? `: ${resumed.stderr.slice(-1000)}` : ''}`,
  );
  rmSync(root, { recursive: true, force: true });
  process.exitCode = ok ? 0 : 1;
}

await main();
