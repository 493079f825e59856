// Item 7 of issue 19: the "audit on open" claim is owned and heartbeated like every other claim, so another
// process starting a batch on the same data folder leaves it alone (before, it re-queued it: the case was
// generated twice).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaseStore } from '@main/store';
import { newCase } from '../helpers/store-fixtures';
import { REPO_ROOT, tempDir } from '../helpers/temp-dir';

describe('the priority claim (audit on open)', () => {
  it('records its owner and heartbeat, and another process starting a batch does not re-queue it', () => {
    const dir = tempDir();
    const store = CaseStore.open(dir);
    store.transaction(() => store.cases.insert(newCase('opened'), null));
    store.jobs.enqueue(['opened'], 'model-a', 'prompt-a', 'batch');
    const job = store.jobs.claimCase('opened', 'model-a', 'prompt-a')!;
    expect(job).toMatchObject({ status: 'running', attempts: 0, ownerPid: process.pid });
    expect(job.ownerToken).toBe(store.jobs.owner.token);
    expect(job.heartbeatAt).not.toBeNull();
    expect(store.jobs.heartbeat()).toBe(1);

    // Another process: what a batch does as it starts (audit-runner's launch), through the store's own code.
    const script = `
      const { CaseStore } = await import(${JSON.stringify(path.join(REPO_ROOT, 'src-main/store/index.ts'))});
      const other = CaseStore.open(${JSON.stringify(dir)});
      console.log(JSON.stringify({ requeued: other.jobs.requeueOrphaned(), pid: process.pid }));
      other.close();`;
    const out = execFileSync(process.execPath, ['--import', 'tsx/esm', '--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, TSX_TSCONFIG_PATH: path.join(REPO_ROOT, 'tsconfig.json') },
    });
    const reply = JSON.parse(out.trim().split('\n').pop()!) as { requeued: number; pid: number };
    expect(reply.pid).not.toBe(process.pid);
    expect(reply.requeued).toBe(0);
    expect(store.jobs.counts()).toMatchObject({ running: 1, queued: 0 });

    // Once its owner is gone (a pid that does not run), the same start-up does take it back.
    store.db.prepare('UPDATE jobs SET owner_pid = 2147483646').run();
    store.close();
    const later = CaseStore.open(dir);
    expect(later.jobs.requeueOrphaned()).toBe(1);
    later.close();
  });
});
