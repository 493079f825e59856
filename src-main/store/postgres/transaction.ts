// One transaction on one pooled connection: committed before the promise resolves (so a caller acknowledges only
// what PostgreSQL has committed), rolled back on any error.
import type pg from 'pg';

export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  begin = 'BEGIN',
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Reads in one snapshot (REPEATABLE READ, read only): a page and its total agree while others write. */
export function inSnapshot<T>(pool: pg.Pool, read: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return inTransaction(pool, read, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
}

/** The database login this connection acts as: who every write is recorded under. */
export async function sessionLogin(client: pg.Pool | pg.PoolClient | pg.Client): Promise<string> {
  return (await client.query<{ login: string }>('SELECT session_user AS login')).rows[0].login;
}
