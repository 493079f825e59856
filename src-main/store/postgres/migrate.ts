// Plain numbered SQL migrations (./migrations/NNNN-name.sql) for the team database. Each is applied in its own
// transaction and recorded in guardtrace_schema_migrations, all under one advisory lock so that two admins (or two
// `team init`s) never apply the same step twice. A database whose schema is newer than this build is refused
// untouched, as the SQLite workspace refuses a newer user_version.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClientBase } from 'pg';
import { StoreError } from '../errors';

export interface PostgresMigration {
  version: number;
  name: string;
  sql: string;
}

export const POSTGRES_MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Any fixed 64-bit number; names the lock in pg_locks as (classid, objid) = (0x47554152, 0x44545241). */
const MIGRATION_LOCK_KEY = 5139196431563478593n;

const FILE_NAME = /^(\d{4})-([a-z0-9-]+)\.sql$/;

/** The migrations in `dir`, checked to be numbered 1, 2, 3, … with no gap or repeat. */
export function loadPostgresMigrations(dir = POSTGRES_MIGRATIONS_DIR): PostgresMigration[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((name) => name.endsWith('.sql'));
  } catch (error) {
    throw new StoreError(
      'migration_failed',
      `The team database migrations are missing from ${dir} (${(error as Error).message}); reinstall GuardTrace.`,
    );
  }
  const migrations = files
    .map((file) => {
      const match = FILE_NAME.exec(file);
      if (!match)
        throw new StoreError('migration_failed', `${path.join(dir, file)}: expected a name like 0001-name.sql`);
      return { version: Number(match[1]), name: match[2], sql: readFileSync(path.join(dir, file), 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1)
      throw new StoreError(
        'migration_failed',
        `${dir}: migration ${index + 1} is missing or doubled (found ${migration.version}-${migration.name})`,
      );
  });
  return migrations;
}

export function latestPostgresVersion(migrations = loadPostgresMigrations()): number {
  return migrations.length ? migrations[migrations.length - 1].version : 0;
}

const CREATE_MIGRATIONS_TABLE = `
  CREATE TABLE IF NOT EXISTS guardtrace_schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    applied_by text NOT NULL DEFAULT session_user
  )`;

/** The schema version of the connected database: 0 when GuardTrace has never been set up there. */
export async function postgresSchemaVersion(client: ClientBase): Promise<number> {
  const table = await client.query<{ exists: boolean }>(
    `SELECT to_regclass('public.guardtrace_schema_migrations') IS NOT NULL AS exists`,
  );
  if (!table.rows[0].exists) return 0;
  const result = await client.query<{ version: number | null }>(
    'SELECT max(version) AS version FROM guardtrace_schema_migrations',
  );
  return result.rows[0].version ?? 0;
}

function describeDatabase(client: ClientBase): string {
  const { host, port, database } = client as unknown as { host?: string; port?: number; database?: string };
  return `the team database ${database ?? ''}${host ? ` on ${host.startsWith('/') ? 'the local socket' : host}${port ? `:${port}` : ''}` : ''}`;
}

export function schemaTooNewError(where: string, version: number, latest: number): StoreError {
  return new StoreError(
    'schema_too_new',
    `${where} was set up by a newer GuardTrace Workstation (schema ${version}; this version knows up to ${latest}). ` +
      'Nothing was changed. Update GuardTrace on this computer to the version your team uses.',
  );
}

/**
 * Refuses a database this build cannot use: newer than it knows, or not set up yet / older (only `team init`,
 * run by an admin, migrates; a moderator's login has no right to change the schema).
 */
export async function assertPostgresSchemaCurrent(client: ClientBase, latest = latestPostgresVersion()): Promise<void> {
  const version = await postgresSchemaVersion(client);
  const where = describeDatabase(client);
  if (version > latest) throw schemaTooNewError(where, version, latest);
  if (version < latest)
    throw new StoreError(
      'migration_failed',
      `${where} is at schema ${version}, this GuardTrace needs ${latest}. ` +
        'Ask your database admin to run "guardtrace team init --store URL" with this version.',
    );
}

/**
 * Applies the pending migrations, each in one transaction. Returns the versions applied (none when current).
 * Throws schema_too_new, touching nothing, when the database is newer than `migrations`.
 */
export async function migratePostgres(
  client: ClientBase,
  migrations = loadPostgresMigrations(),
): Promise<{ from: number; to: number; applied: number[] }> {
  const latest = latestPostgresVersion(migrations);
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
  try {
    const from = await postgresSchemaVersion(client);
    if (from > latest) throw schemaTooNewError(describeDatabase(client), from, latest);
    const applied: number[] = [];
    for (const migration of migrations) {
      if (migration.version <= from) continue;
      await client.query('BEGIN');
      try {
        await client.query(CREATE_MIGRATIONS_TABLE);
        await client.query(migration.sql);
        await client.query('INSERT INTO guardtrace_schema_migrations (version, name) VALUES ($1, $2)', [
          migration.version,
          migration.name,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new StoreError(
          'migration_failed',
          `Team database migration ${String(migration.version).padStart(4, '0')}-${migration.name} failed and was ` +
            `rolled back (the database is still at schema ${applied.at(-1) ?? from}): ${(error as Error).message}`,
        );
      }
      applied.push(migration.version);
    }
    return { from, to: Math.max(from, applied.at(-1) ?? from), applied };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
  }
}
