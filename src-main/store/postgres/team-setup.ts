// `guardtrace team init`: the group roles, then the schema with its grants and policies. Idempotent: run again it
// creates nothing and applies nothing; against a newer schema it refuses and changes nothing.
import type { ClientBase } from 'pg';
import type { TeamInitSummary } from '@domain/team-database';
import { StoreError } from '../errors';
import {
  loadPostgresMigrations,
  latestPostgresVersion,
  migratePostgres,
  postgresSchemaVersion,
  schemaTooNewError,
} from './migrate';
import { ensureGroupRoles } from './roles';

/** PostgreSQL 15: the oldest server the team mode is tested on (Debian 12's). */
export const OLDEST_SERVER_VERSION_NUM = 150000;

export async function serverVersion(client: ClientBase): Promise<{ num: number; text: string }> {
  const result = await client.query<{ num: string; text: string }>(
    "SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS text",
  );
  return { num: Number(result.rows[0].num), text: result.rows[0].text };
}

export async function initTeamDatabase(client: ClientBase): Promise<TeamInitSummary> {
  const version = await serverVersion(client);
  if (version.num < OLDEST_SERVER_VERSION_NUM)
    throw new StoreError(
      'invalid',
      `This server runs PostgreSQL ${version.text}; the team mode needs PostgreSQL 15 or newer.`,
    );
  const migrations = loadPostgresMigrations();
  // Checked before the roles are created, so a newer database is refused without touching anything.
  const current = await postgresSchemaVersion(client);
  const latest = latestPostgresVersion(migrations);
  if (current > latest) throw schemaTooNewError('This team database', current, latest);
  const rolesCreated = await ensureGroupRoles(client);
  const result = await migratePostgres(client, migrations);
  return {
    rolesCreated,
    schemaFrom: result.from,
    schemaTo: result.to,
    migrationsApplied: result.applied,
    serverVersion: version.text,
  };
}
