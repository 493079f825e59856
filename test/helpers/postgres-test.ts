// Vitest hooks around test/helpers/postgres-cluster.ts: one throwaway cluster per test file, started before its
// tests and stopped after them (also when they fail). Call inside a `describe.skipIf(postgresSkipReason !== null)`
// block, so that where PostgreSQL is missing the skip and its reason show in the run.
import { afterAll, beforeAll } from 'vitest';
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
