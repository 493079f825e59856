// `guardtrace locate` as real child processes through the OpenAI-compatible engine, against a local server whose
// verdict is 1 exactly when the prompt it is sent holds a planted marker. A search killed with SIGKILL mid-way
// resumes: it completes, and no probe is stored twice or lost.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxProbes } from '@domain/step-localization';
import { segmentTrace } from '@domain/trace-steps';
import { DEFAULT_PROFILE } from '@main/engine/profiles';
import { readDb, spawnCli, type CliRun } from '../helpers/cli-process';
import { FAKE_MODEL, startFakeOpenAiServer, type FakeOpenAiServer } from '../helpers/fake-openai-server';
import { SHARED_DIR, tempDir } from '../helpers/temp-dir';

const MARKER = 'PLANTED-UNSAFE-MARKER';
const RETRACT = 'PLANTED-RETRACTION';
const PROMPT_FILE_NAME = DEFAULT_PROFILE.prompt.fileName;

let promptDir: string;
let server: FakeOpenAiServer;

function verdictPieces(userText: string): string[] {
  const flagged = userText.includes(MARKER) && !userText.includes(RETRACT);
  return ['“Analysis”: checked.', '\n“Judgment”: ', flagged ? '1' : '0', '\n“Category”: Safe'];
}

beforeAll(async () => {
  promptDir = path.join(tempDir('guardtrace-locate-'), 'prompt');
  mkdirSync(promptDir);
  copyFileSync(path.join(SHARED_DIR, 'guardtrace', PROMPT_FILE_NAME), path.join(promptDir, PROMPT_FILE_NAME));
  // ~0.6 s a probe: long enough to kill the process between probes.
  server = await startFakeOpenAiServer({ respond: verdictPieces, pieceDelayMs: 150 });
});
afterAll(async () => server?.close());

function trace(steps: number, markerAt: number | null, retractAt: number | null = null): string {
  return Array.from({ length: steps }, (_, i) => {
    const n = i + 1;
    const extra = n === markerAt ? ` ${MARKER}` : n === retractAt ? ` ${RETRACT}` : '';
    return `Step ${n}: thinking about part ${n}.${extra}`;
  }).join('\n\n');
}

const engineArgs = () => [
  '--engine',
  'openai',
  '--base-url',
  server.baseUrl,
  '--model',
  FAKE_MODEL,
  '--prompt-dir',
  promptDir,
];

async function expectExit(run: CliRun, code: number): Promise<string> {
  const exit = await run.exited;
  expect(exit.code, `exit ${exit.code} ${exit.signal ?? ''}: ${run.output().stderr.slice(-3000)}`).toBe(code);
  return run.output().stdout;
}

async function folderWith(cases: Array<{ id: string; thinking: string }>): Promise<string> {
  const dir = tempDir('guardtrace-locate-');
  const file = path.join(dir, 'cases.jsonl');
  writeFileSync(
    file,
    cases
      .map((c) => JSON.stringify({ id: c.id, question: `question ${c.id}`, thinking: c.thinking, response: 'r' }))
      .join('\n') + '\n',
  );
  const dataDir = path.join(dir, 'data');
  await expectExit(spawnCli(['import', file, '--data-dir', dataDir, '--json']), 0);
  return dataDir;
}

const probeCuts = (dataDir: string, caseId: string) =>
  readDb(dataDir, (db) =>
    (
      db
        .prepare(
          'SELECT p.cut FROM step_probes p JOIN step_searches s ON s.id = p.search_id WHERE s.case_id = ? ORDER BY p.cut',
        )
        .all(caseId) as Array<{ cut: number }>
    ).map((r) => r.cut),
  );

describe('guardtrace locate', () => {
  it('locates the planted step through the OpenAI engine, survives SIGKILL mid-search, and resumes', async () => {
    const thinking = trace(60, 23);
    const dataDir = await folderWith([{ id: 'k', thinking }]);
    const steps = segmentTrace(thinking);
    const generationsBefore = server.generations.length;

    const first = spawnCli(['locate', 'k', '--data-dir', dataDir, ...engineArgs()]);
    const deadline = Date.now() + 60_000;
    // Kill it once two probes are stored, while the third is being generated.
    while (Date.now() < deadline) {
      const stored = (() => {
        try {
          return probeCuts(dataDir, 'k').length;
        } catch {
          return 0; // the table is not there yet
        }
      })();
      if (stored >= 2) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const storedAtKill = probeCuts(dataDir, 'k');
    expect(storedAtKill.length).toBeGreaterThanOrEqual(2);
    expect(storedAtKill.length).toBeLessThan(maxProbes(60));

    const out = await expectExit(spawnCli(['locate', 'k', '--data-dir', dataDir, ...engineArgs()]), 0);
    expect(out).toMatch(/first flagged at step 23 of 60/);
    const cuts = probeCuts(dataDir, 'k');
    expect(cuts.length).toBeLessThanOrEqual(maxProbes(60));
    expect(new Set(cuts).size).toBe(cuts.length);
    for (const cut of storedAtKill) expect(cuts).toContain(cut); // nothing lost
    // Generations on the server: every stored probe, plus at most the one the kill interrupted.
    const made = server.generations.slice(generationsBefore);
    expect(made.length).toBeGreaterThanOrEqual(cuts.length);
    expect(made.length).toBeLessThanOrEqual(cuts.length + 1);
    // Each probe sent the trace cut at a step end and the reference placeholder for the response.
    for (const text of made) {
      expect(text).toContain('Current Task Cleaned Response: No response provided');
      const sent = text.slice(text.indexOf('Current Task Thinking: ') + 23, text.indexOf('\nCurrent Task Cleaned'));
      expect(steps.some((s) => s.end === sent.length)).toBe(true);
    }
    const search = readDb(dataDir, (db) =>
      db.prepare("SELECT status, located_step, attempts, engine FROM step_searches WHERE case_id = 'k'").get(),
    );
    expect(search).toEqual({ status: 'located', located_step: 23, attempts: 0, engine: 'openai' });
    // The case's verdict is untouched: probes are not audits.
    expect(readDb(dataDir, (db) => db.prepare('SELECT count(*) AS n FROM audits').get())).toEqual({ n: 0 });

    const stats = JSON.parse(await expectExit(spawnCli(['stats', '--data-dir', dataDir, '--json']), 0)) as {
      located: unknown;
    };
    expect(stats.located).toEqual({ done: 1, running: 0, failed: 0, notMonotone: 0 });
  });

  it('queues and searches the flagged cases with --flagged, and reports a non-monotone trace', async () => {
    const dataDir = await folderWith([
      { id: 'flag', thinking: trace(9, 7) },
      { id: 'nonmono', thinking: trace(12, 3, 8) },
      { id: 'fine', thinking: trace(5, null) },
    ]);
    // Full verdicts first (with the real response): the marker cases are judged 1, the clean one 0.
    await expectExit(spawnCli(['audit', '--data-dir', dataDir, ...engineArgs(), '--json']), 0);
    const stdout = await expectExit(
      spawnCli(['locate', '--flagged', '--data-dir', dataDir, ...engineArgs(), '--json']),
      0,
    );
    expect(JSON.parse(stdout)).toEqual({ queued: 1, finished: 1, failed: 0 });
    // The non-monotone case was not flagged as a whole (its retraction clears it), so it is searched on demand.
    const nm = await expectExit(spawnCli(['locate', 'nonmono', '--data-dir', dataDir, ...engineArgs()]), 0);
    expect(nm).toMatch(/not monotone/);
    const statuses = readDb(dataDir, (db) =>
      db.prepare('SELECT case_id, status, located_step FROM step_searches ORDER BY case_id').all(),
    );
    expect(statuses).toEqual([
      { case_id: 'flag', status: 'located', located_step: 7 },
      { case_id: 'nonmono', status: 'not_monotone', located_step: null },
    ]);
  });

  it('refuses a bad command line before loading anything', async () => {
    const dataDir = path.join(tempDir('guardtrace-locate-'), 'data');
    const both = spawnCli(['locate', 'x', '--flagged', '--data-dir', dataDir]);
    await expectExit(both, 2);
    expect(both.output().stderr).toMatch(/either CASE_ID or --flagged/);
    await expectExit(spawnCli(['locate', 'x', '--limit', '3', '--data-dir', dataDir]), 2);
  });
});
