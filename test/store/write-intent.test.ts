// The import worker lets the writers of the process that started it go first (store/write-intent.ts): every
// top-level write transaction announces itself, and the worker waits while any is announced, up to a bound.
import { describe, expect, it } from 'vitest';
import { CaseStore } from '@main/store/sqlite';
import { waitForAnnouncedWriters, writeIntentBuffer } from '@main/store/sqlite/write-intent';
import { tempDir } from '../helpers/temp-dir';

const announced = () => Atomics.load(new Int32Array(writeIntentBuffer()), 0);

describe('write intent', () => {
  it('is announced for the whole of a write transaction, once for nested ones, and withdrawn after a failure', () => {
    const store = CaseStore.open(tempDir('guardtrace-write-intent-'));
    try {
      const seen: number[] = [];
      expect(announced()).toBe(0);
      store.transaction(() => {
        seen.push(announced());
        store.transaction(() => seen.push(announced()));
      });
      expect(seen).toEqual([1, 1]);
      expect(announced()).toBe(0);
      expect(() =>
        store.transaction(() => {
          throw new Error('refused');
        }),
      ).toThrow('refused');
      expect(announced()).toBe(0);
    } finally {
      store.close();
    }
  });

  it('makes the import worker wait while a writer is announced, and only up to its bound', () => {
    const counter = new Int32Array(new SharedArrayBuffer(4));
    expect(waitForAnnouncedWriters(counter.buffer as SharedArrayBuffer, 500)).toBeLessThan(100);
    Atomics.store(counter, 0, 1);
    const waited = waitForAnnouncedWriters(counter.buffer as SharedArrayBuffer, 60);
    expect(waited).toBeGreaterThanOrEqual(59);
  });
});
