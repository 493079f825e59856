// Vitest hooks around test/helpers/postgres-cluster.ts: one throwaway cluster per test file, started before its
// tests and stopped after them (also when they fail). Call inside a `describe.skipIf(postgresSkipReason !== null)`
// block, so that where PostgreSQL is missing the skip and its reason show in the run.
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import type { TeamRole } from '@domain/team-database';
import { closePool, openPool } from '@main/store/postgres/pool';
import { addTeamUser } from '@main/store/postgres/roles';
import { initTeamDatabase } from '@main/store/postgres/team-setup';
import { postgresUnavailableReason, startPostgresCluster, type PostgresCluster } from './postgres-cluster';

export type { PostgresCluster } from './postgres-cluster';

/** Null where the PostgreSQL tests can run; otherwise why not (under CI=true a missing server throws instead). */
export const postgresSkipReason = postgresUnavailableReason();

/** Starts a cluster for this file's tests; the returned function gives it once `beforeAll` has run. */
export function usePostgresCluster(): () => PostgresCluster {
  let cluster: PostgresCluster | undefined;
  beforeAll(async () => {
    cluster = await startPostgresCluster();
  });
  afterAll(() => cluster?.stop());
  return () => {
    if (!cluster)
      throw new Error('the PostgreSQL cluster is not started: call usePostgresCluster() in a describe block');
    return cluster;
  };
}

export interface TeamDatabase {
  cluster: () => PostgresCluster;
  database: () => string;
  /** The superuser's connection to the team database (setup and checks that must not depend on the code under test). */
  admin: () => pg.Client;
  password: (login: string) => string;
  /** postgres:// URL that logs in as `login` over TCP with its password. */
  url: (login: string) => string;
  /** A pool logged in as `login`, ended after the file. */
  pool: (login: string, max?: number) => pg.Pool;
}

/**
 * A cluster, one database set up with `team init`, and the logins given (created with one-time passwords), for a
 * test file; `seed` runs as the superuser once everything exists.
 */
export function useTeamDatabase(
  logins: ReadonlyArray<readonly [login: string, role: TeamRole]>,
  seed?: (admin: pg.Client) => Promise<void>,
): TeamDatabase {
  const cluster = usePostgresCluster();
  let database = '';
  let admin: pg.Client | undefined;
  const passwords: Record<string, string> = {};
  const pools: pg.Pool[] = [];
  beforeAll(async () => {
    database = cluster().createDatabase('team');
    admin = new pg.Client({ connectionString: cluster().superuserUrl(database) });
    await admin.connect();
    await initTeamDatabase(admin);
    for (const [login, role] of logins)
      passwords[login] = (await addTeamUser(admin, { login, role, create: true })).oneTimePassword!;
    await seed?.(admin);
  });
  afterAll(async () => {
    await Promise.all(pools.splice(0).map(closePool));
    await admin?.end();
  });
  const url = (login: string) => cluster().loginUrl(login, passwords[login], database);
  return {
    cluster,
    database: () => database,
    admin: () => admin!,
    password: (login) => passwords[login],
    url,
    pool: (login, max = 3) => {
      // A connection lost mid-file is the test's business (it sees the failed query); teardown waits for every socket.
      const created = openPool({ connectionString: url(login), max }, () => undefined);
      pools.push(created);
      return created;
    },
  };
}
