// Writers of this thread that want the database's write lock, announced in shared memory so that an import worker
// of the same process can let them in between its batches. SQLite has no queue for its write lock: a writer that
// finds it taken sleeps in its busy handler (intervals growing to 100 ms) and retries, so a worker that begins its
// next batch right after committing the last one (its records are parsed ahead on another thread) would keep the
// lock nearly all the time, and a moderator's decision would wait for many batches instead of one (docs/store.md,
// "Import pipeline").
const intent = new Int32Array(new SharedArrayBuffer(4));

/** The counter of this thread's waiting or active writers, for an import worker to watch (workerData). */
export function writeIntentBuffer(): SharedArrayBuffer {
  return intent.buffer as SharedArrayBuffer;
}

/** Runs `work` (which takes the write lock) announced as a writer of this thread. */
export function withWriteIntent<T>(work: () => T): T {
  Atomics.add(intent, 0, 1);
  try {
    return work();
  } finally {
    Atomics.sub(intent, 0, 1);
    Atomics.notify(intent, 0);
  }
}

/**
 * Blocks the calling (worker) thread while the thread that owns `buffer` has writers announced, at most `maxMs`:
 * those writers then take the lock at their next busy-handler retry. Returns how long it waited.
 */
export function waitForAnnouncedWriters(buffer: SharedArrayBuffer, maxMs: number): number {
  const counter = new Int32Array(buffer);
  const started = performance.now();
  for (;;) {
    const writers = Atomics.load(counter, 0);
    const left = maxMs - (performance.now() - started);
    if (writers <= 0 || left <= 0) return performance.now() - started;
    Atomics.wait(counter, 0, writers, left);
  }
}
