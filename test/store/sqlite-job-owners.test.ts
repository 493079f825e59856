// SQLite's job owners: a lease is a pid plus a token, and an owner is gone when its pid no longer runs or its
// heartbeat is stale. The engine-neutral queue, decision and export behaviour is in test/store-contract/.
import { describe, expect, it } from 'vitest';
import { CaseStore } from '@main/store/sqlite';
import { auditResult, newCase } from '../helpers/store-fixtures';
import { tempDir } from '../helpers/temp-dir';

describe('sqlite job owners', () => {
  it('requeues only jobs whose owner is gone, never counting that as an attempt, and never queues a case that already has a verdict', () => {
    const dir = tempDir();
    let store = CaseStore.open(dir);
    store.transaction(() => ['a', 'b', 'c'].forEach((id) => store.cases.insert(newCase(id), null)));
    store.audits.insert('c', auditResult(0));
    expect(store.jobs.enqueue(['a', 'b', 'c'], 'model-a', 'prompt-a', 'batch')).toBe(2);
    expect(store.jobs.enqueue(['a', 'b'], 'model-a', 'prompt-a', 'batch')).toBe(0);
    const claimed = store.jobs.claimNext('model-a', 'prompt-a')!;
    expect(claimed).toMatchObject({ caseId: 'a', attempts: 0, ownerPid: process.pid });
    expect(claimed.ownerToken).toBe(store.jobs.owner.token);
    store.close(); // the "crash": a is left running

    store = CaseStore.open(dir);
    expect(store.jobs.counts()).toMatchObject({ queued: 1, running: 1 });
    // Its owner (this test process, same pid) is alive and its heartbeat fresh: another process must not take it.
    expect(store.jobs.requeueOrphaned()).toBe(0);
    // A stale heartbeat means the owner is hung or the pid was reused.
    expect(store.jobs.requeueOrphaned({ now: Date.now() + 10 * 60_000 })).toBe(1);
    const job = store.jobs.claimNext('model-a', 'prompt-a')!;
    expect(job).toMatchObject({ caseId: 'a', attempts: 0, status: 'running', lastError: null });
    // This process's own running job is never taken from it, whatever the clock says.
    expect(store.jobs.requeueOrphaned({ now: Date.now() + 10 * 60_000, isAlive: () => false })).toBe(0);
    expect(store.jobs.markFailed(job, 'server restarted', 2)).toBe('queued');
    const again = store.jobs.claimNext('model-a', 'prompt-a')!;
    expect(again.attempts).toBe(1);
    expect(store.jobs.markFailed(again, 'still broken', 2)).toBe('failed');
    expect(store.db.prepare("SELECT attempts, owner_pid FROM jobs WHERE case_id = 'a'").get()).toEqual({
      attempts: 2,
      owner_pid: null,
    });
    expect(store.jobs.counts()).toMatchObject({ queued: 1, failed: 1 });
    store.close();
  });

  it('requeues a running job at once when its owner pid no longer runs', () => {
    const dir = tempDir();
    const first = CaseStore.open(dir);
    first.transaction(() => first.cases.insert(newCase('a'), null));
    first.jobs.enqueue(['a'], 'model-a', 'prompt-a', 'batch');
    first.jobs.claimNext('model-a', 'prompt-a');
    // A pid far above any pid_max: no such process.
    first.db.prepare('UPDATE jobs SET owner_pid = 2147483646').run();
    first.close();
    const second = CaseStore.open(dir);
    expect(second.jobs.counts()).toMatchObject({ running: 1 }); // opening the store alone takes nothing
    expect(second.jobs.requeueOrphaned()).toBe(1);
    expect(second.jobs.counts()).toMatchObject({ queued: 1, running: 0 });
    second.close();
  });
});
