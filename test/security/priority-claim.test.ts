// Item 7 of issue 19: the "audit on open" claim is owned and heartbeated like every other claim, so another
// process starting a batch on the same data folder leaves it alone (before, it re-queued it: the case was
// generated twice).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '@main/store/open-store';
import { newCase, openTempStore, asStore } from '../helpers/store-fixtures';
import { REPO_ROOT } from '../helpers/temp-dir';

describe('the priority claim (audit on open)', () => {
  it('records its owner and heartbeat, and another process starting a batch does not re-queue it', async () => {
    const sqlite = openTempStore();
    sqlite.transaction(() => sqlite.cases.insert(newCase('opened'), null));
    const store = asStore(sqlite);
    const dir = sqlite.dataDir;
    await store.jobs.enqueue(['opened'], 'model-a', 'prompt-a', 'batch');
    const job = (await store.jobs.claimCase('opened', 'model-a', 'prompt-a'))!;
    expect(job).toMatchObject({ status: 'running', attempts: 0, ownerPid: process.pid });
    expect(job.ownerToken).toBe(store.jobs.owner.token);
    expect(job.heartbeatAt).not.toBeNull();
    expect(await store.jobs.heartbeat()).toBe(1);

    // Another process: what a batch does as it starts (audit-runner's launch), through the store's own code.
    const script = `
      const { openStore } = await import(${JSON.stringify(path.join(REPO_ROOT, 'src-main/store/open-store.ts'))});
      const other = await openStore({ kind: 'folder', dataDir: ${JSON.stringify(dir)} });
      console.log(JSON.stringify({ requeued: await other.jobs.requeueOrphaned(), pid: process.pid }));
      await other.close();`;
    const out = execFileSync(process.execPath, ['--import', 'tsx/esm', '--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, TSX_TSCONFIG_PATH: path.join(REPO_ROOT, 'tsconfig.json') },
    });
    const reply = JSON.parse(out.trim().split('\n').pop()!) as { requeued: number; pid: number };
    expect(reply.pid).not.toBe(process.pid);
    expect(reply.requeued).toBe(0);
    expect(await store.jobs.counts()).toMatchObject({ running: 1, queued: 0 });

    // Once its owner is gone (its pid no longer runs), the same start-up does take it back.
    await store.close();
    const later = await openStore({ kind: 'folder', dataDir: dir });
    expect(await later.jobs.requeueOrphaned({ isAlive: () => false })).toBe(1);
    await later.close();
  });
});
