// Opening a connection to the team database: the settings of connection-config.ts, errors explained.
import pg from 'pg';
import { postgresClientConfig, teamTarget } from './connection-config';
import { explainPostgresError } from './connection-errors';

/** A connected client for `url`; throws a StoreError that says what to do when it cannot connect. */
export async function connectTeamDatabase(url: string, env: NodeJS.ProcessEnv = process.env): Promise<pg.Client> {
  const target = teamTarget(url, env);
  const client = new pg.Client(postgresClientConfig(url, env));
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw explainPostgresError(error, target);
  }
  return client;
}

/** Runs `work` on a fresh connection and closes it; errors from PostgreSQL come back explained. */
export async function withTeamDatabase<T>(
  url: string,
  work: (client: pg.Client) => Promise<T>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<T> {
  const client = await connectTeamDatabase(url, env);
  try {
    return await work(client);
  } catch (error) {
    throw explainPostgresError(error, teamTarget(url, env));
  } finally {
    await client.end().catch(() => undefined);
  }
}
