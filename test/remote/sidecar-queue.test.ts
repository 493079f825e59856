// The audit queue on the llama-server sidecar, wired as the app wires it (createCore + the handler map): the server
// is SIGKILLed in the middle of a batch, the supervisor restarts it, the runner retries the interrupted case, and the
// batch ends with every case audited exactly once and no failed job.
import { databaseOf } from '../helpers/store-fixtures';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '@main/api/core';
import { createHandlers } from '@main/api/handlers';
import { findLlamaServerBinary } from '@main/engine/sidecar/llama-server-binary';
import { alive, childPids } from '../helpers/processes';
import { SHARED_DIR, tempDir } from '../helpers/temp-dir';
import { writeTinyModelFolder } from '../models/tiny-gguf';

// What createCore will find (build cache, then PATH): it has no way to take GUARDTRACE_LLAMA_SERVER.
const binary = await findLlamaServerBinary(null);
const skipReason = binary
  ? null
  : 'no llama-server binary in the build cache or on PATH — build it with `npm run build:llama-server` (offline, about 7 min on 2 cores)';
if (skipReason) console.warn(`[test/remote/sidecar-queue] SKIPPED: ${skipReason}`);

const SAMPLE_IMAGES = path.join(SHARED_DIR, 'samples/guardtrace-sample/images');

/** Children of this process running llama-server (vitest runs each test file in its own fork). */
const llamaServerPids = () => childPids(process.pid, 'llama-server');

describe.skipIf(skipReason !== null)(
  'audit queue on the llama-server sidecar (createCore, real server, tiny model)',
  () => {
    let core: Core | null = null;
    afterAll(async () => {
      await core?.close();
    });

    it('a server SIGKILLed mid-batch: the queue resumes on the restarted server, nothing lost or duplicated, no failed job', async () => {
      const dir = tempDir('guardtrace-sidecar-queue-');
      const modelDir = (await writeTinyModelFolder(path.join(dir, 'model'))).dir;
      const file = path.join(dir, 'cases.jsonl');
      const rows = [
        ...Array.from({ length: 4 }, (_, i) => ({
          id: `text-${i}`,
          question: `question ${i}`,
          thinking: `thinking ${i}`,
          response: `response ${i}`,
        })),
        { id: 'image-0', question: 'what is shown', thinking: 'look', response: 'a cat', image: 'cat-training.png' },
        {
          id: 'image-1',
          question: 'what is shown here',
          thinking: 'look again',
          response: 'a street',
          image: 'street-scene.jpg',
        },
      ];
      writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

      core = await createCore({ dataDir: path.join(dir, 'data'), engine: { threads: 1 } });
      const handlers = createHandlers(core);
      expect(await handlers['import.run']({ file, imagesDir: SAMPLE_IMAGES })).toMatchObject({
        imported: 6,
        imagesMissing: 0,
      });
      const state = await handlers['engine.load']({ modelDir, engine: 'sidecar' });
      expect(state.state).toBe('loaded');
      const [firstPid] = llamaServerPids();
      expect(firstPid, 'the core should have started a llama-server').toBeGreaterThan(0);

      // Kill the server while it streams the third case (two verdicts already recorded), once.
      let verdicts = 0;
      let killed: { caseId: string; tokensBefore: number } | null = null;
      const tokensByCase = new Map<string, number>();
      core.events.on('audit.verdict', () => verdicts++);
      core.events.on('audit.token', ({ caseId }) => {
        tokensByCase.set(caseId, (tokensByCase.get(caseId) ?? 0) + 1);
        if (!killed && verdicts >= 2 && tokensByCase.get(caseId)! >= 3) {
          killed = { caseId, tokensBefore: tokensByCase.get(caseId)! };
          process.kill(firstPid, 'SIGKILL');
        }
      });

      await handlers['audit.start']({ maxNewTokens: 200, parallel: 1 });
      const final = await core.jobs.whenSettled();

      expect(killed, 'the batch ended before the server could be killed mid-generation').not.toBeNull();
      expect(final).toMatchObject({ state: 'done', done: 6, failed: 0, total: 6 });
      expect(alive(firstPid)).toBe(false);
      const [secondPid] = llamaServerPids();
      expect(secondPid).toBeGreaterThan(0);
      expect(secondPid).not.toBe(firstPid);

      const db = databaseOf(core.dataDir);
      const perCase = db
        .prepare<[], { id: string; n: number }>(
          'SELECT c.id, count(a.id) AS n FROM cases c LEFT JOIN audits a ON a.case_id = c.id GROUP BY c.id ORDER BY c.id',
        )
        .all();
      expect(perCase).toEqual(rows.map((r) => ({ id: r.id, n: 1 })).sort((a, b) => a.id.localeCompare(b.id)));
      const verdictLog = db
        .prepare<[], { case_id: string; n: number }>(
          "SELECT case_id, count(*) AS n FROM audit_log WHERE action = 'audit.verdict' GROUP BY case_id",
        )
        .all();
      expect(verdictLog).toHaveLength(6);
      expect(verdictLog.every((r) => r.n === 1)).toBe(true);
      expect(await core.store.jobs.counts()).toMatchObject({ done: 6, queued: 0, running: 0, failed: 0 });
      // The interrupted case counts one failed attempt; every other case none.
      const attempts = Object.fromEntries(
        db
          .prepare<[], { case_id: string; attempts: number }>('SELECT case_id, attempts FROM jobs')
          .all()
          .map((r) => [r.case_id, r.attempts]),
      );
      expect(attempts[killed!.caseId]).toBe(1);
      expect(Object.values(attempts).filter((n) => n !== 0)).toHaveLength(1);
      // Images were read by the restarted server too (the vision part came back with it).
      expect(
        db.prepare("SELECT count(*) AS n FROM audits WHERE case_id LIKE 'image-%' AND image_missing = 0").get(),
      ).toEqual({ n: 2 });

      await core.close();
      core = null;
      expect(alive(secondPid), 'closing the core stops the restarted server').toBe(false);
    }, 180_000);
  },
);
