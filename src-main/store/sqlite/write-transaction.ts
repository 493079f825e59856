import { malformedReason, type Db } from './open-database';
import { StoreError } from '../errors';
import { withWriteIntent } from './write-intent';

// Several processes share one data folder (the app, `guardtrace audit`, `guardtrace import`). A deferred
// transaction that reads and then writes fails at once with SQLITE_BUSY when another connection committed in
// between: SQLite cannot upgrade a stale snapshot, and busy_timeout does not apply to that case. BEGIN IMMEDIATE
// takes the write lock before the first read, so the busy handler (busy_timeout) waits for the other writer
// instead. On top of that wait, a bounded retry covers a writer that holds the lock longer than busy_timeout
// (a large import batch on a slow disk).

/** Attempts after the first one; each waits busy_timeout inside SQLite, then the backoff below. */
export const WRITE_RETRIES = 4;
const RETRY_BACKOFF_MS = 250;

export function isBusyError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** Blocks the thread: the transaction is synchronous, and its callers expect it to be. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Runs `work` in one BEGIN IMMEDIATE transaction, retrying on SQLITE_BUSY a bounded number of times. Inside an
 * open transaction it becomes a savepoint of that transaction (better-sqlite3 nests), with no retry of its own.
 */
export function writeTransaction<T>(db: Db, work: () => T, retries = WRITE_RETRIES): T {
  const damaged = malformedReason(db);
  if (damaged) throw new StoreError('corrupt', damaged);
  const transaction = db.transaction(work);
  if (db.inTransaction) return transaction.immediate();
  return withWriteIntent(() => retryWhileBusy(() => transaction.immediate(), retries));
}

function retryWhileBusy<T>(begin: () => T, retries: number): T {
  for (let attempt = 0; ; attempt++) {
    try {
      return begin();
    } catch (error) {
      if (!isBusyError(error)) throw error;
      if (attempt >= retries) {
        throw new StoreError(
          'busy',
          `The database stayed locked by another GuardTrace process (the app or a guardtrace command) for too long; ` +
            `nothing from this step was written. Wait for the other process to finish its step, then try again. (${
              (error as Error).message
            })`,
        );
      }
      sleepSync(RETRY_BACKOFF_MS * (attempt + 1));
    }
  }
}
