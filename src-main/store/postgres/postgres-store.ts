// The team database as the contract's Store: one pool of connections logged in as the user, the engine's parts,
// and a clear refusal for the parts not built yet (each names the feature and says to use a data folder). Opening
// checks the connection and the schema first, so a wrong password, a server without TLS or a database set up by
// another version is one message before anything runs.
import { randomUUID } from 'node:crypto';
import type { BackupStore, ExposureLog, GoldStore, OpenStoreOptions, PackStore, Store } from '../contract';
import { StoreError } from '../errors';
import { PostgresAdjudicationStore } from './adjudication';
import { PostgresBulkImporter } from './bulk-import';
import { PostgresCaseDetails } from './case-details';
import { withTeamDatabase } from './connect';
import { describeTarget, postgresClientConfig, teamTarget } from './connection-config';
import { PostgresDecisionWriter } from './decisions';
import { PostgresExportReader } from './export-reader';
import { PostgresImageStore } from './images';
import { PostgresJobQueue } from './job-queue';
import { PostgresMetricsReader } from './metrics';
import { assertPostgresSchemaCurrent } from './migrate';
import { closePool, openPool } from './pool';
import { PostgresSettingsStore } from './settings';
import { PostgresStepSearchStore } from './step-searches';
import { PostgresVerdictStore } from './verdicts';

/**
 * A part of the contract the team database does not have yet: every method refuses with `unsupported`, naming the
 * feature, before touching the database.
 */
function notOnTeamDatabase<T extends object>(feature: string, instead: string): T {
  const refusal = () =>
    Promise.reject(
      new StoreError(
        'unsupported',
        `${feature} ${feature.endsWith('s') ? 'are' : 'is'} not available on a team database yet. ${instead}`,
      ),
    );
  return new Proxy({} as T, {
    // `then` stays undefined, so that awaiting the part itself does not call a refusal.
    get: (_target, name) => (name === 'then' || typeof name === 'symbol' ? undefined : refusal),
  });
}

const USE_A_DATA_FOLDER = 'Use a data folder (--data-dir DIR) for it.';

export interface PostgresStoreOptions extends OpenStoreOptions {
  /** Connections this process may hold at once (an audit worker needs few; the app a handful). */
  maxConnections?: number;
  env?: NodeJS.ProcessEnv;
}

export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const env = options.env ?? process.env;
  if (!options.cacheDir)
    throw new StoreError(
      'invalid',
      'A team database needs a local folder to cache images in (OpenStoreOptions.cacheDir).',
    );
  const target = teamTarget(url, env);
  await withTeamDatabase(url, (client) => assertPostgresSchemaCurrent(client), env);
  const pool = openPool({ ...postgresClientConfig(url, env), max: options.maxConnections ?? 4 }, () => {
    // An idle connection the server closed (restart, failover, an admin's terminate): the pool has dropped it and
    // the next query opens a new one. A query that was running when it happened fails and says so itself.
  });
  const jobs = new PostgresJobQueue(pool, { pid: process.pid, token: randomUUID() });
  return {
    engine: 'postgres',
    describe: describeTarget(target),
    cases: new PostgresCaseDetails(pool),
    decisions: new PostgresDecisionWriter(pool),
    adjudication: new PostgresAdjudicationStore(pool),
    verdicts: new PostgresVerdictStore(pool),
    jobs,
    metrics: new PostgresMetricsReader(pool, jobs),
    settings: new PostgresSettingsStore(pool),
    images: new PostgresImageStore(pool, options.cacheDir),
    imports: new PostgresBulkImporter(pool),
    steps: new PostgresStepSearchStore(),
    packs: notOnTeamDatabase<PackStore>('Assignment packs', 'Everyone reviews the shared queue directly.'),
    exports: new PostgresExportReader(pool),
    backups: notOnTeamDatabase<BackupStore>(
      'Backups from the app',
      'Back the team database up with pg_dump (docs/team.md).',
    ),
    gold: notOnTeamDatabase<GoldStore>('Gold cases', USE_A_DATA_FOLDER),
    exposure: notOnTeamDatabase<ExposureLog>('The exposure counter', USE_A_DATA_FOLDER),
    close: () => closePool(pool),
  };
}
