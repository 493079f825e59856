// Opening and closing a pool of logged-in connections.
//
// pg-pool's end() resolves once it has *asked* each idle connection to close, not once the sockets are closed; the
// idle-error listener stays on each client meanwhile. A server that goes away in that window (a cluster stopped
// right after, an admin's pg_terminate_backend, a network drop) then makes the pool emit 'error', and an 'error'
// event nobody listens to ends the process. closePool waits for every connection to be gone.
import pg from 'pg';

/**
 * A pool whose lost idle connections are reported to `onLostConnection` instead of crashing the process: a
 * connection the server closes while idle is dropped by the pool, and the next query opens a new one.
 */
export function openPool(config: pg.PoolConfig, onLostConnection: (error: Error) => void): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on('error', onLostConnection);
  return pool;
}

/** Ends the pool and resolves once every one of its connections is closed (see the note at the top). */
export async function closePool(pool: pg.Pool): Promise<void> {
  if (pool.ended) return;
  let open = pool.totalCount;
  const closed = new Promise<void>((resolve) => {
    if (open === 0) resolve();
    pool.on('remove', () => {
      if (--open <= 0) resolve();
    });
  });
  // While it closes, a connection the server drops first is simply closed: nothing to report or retry.
  pool.on('error', () => undefined);
  await pool.end();
  await closed;
}
