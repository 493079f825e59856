// The team database's schema: numbered SQL migrations applied once each under an advisory lock, idempotent
// `team init`, and a newer schema refused untouched.
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  assertPostgresSchemaCurrent,
  latestPostgresVersion,
  loadPostgresMigrations,
  migratePostgres,
  postgresSchemaVersion,
} from '@main/store/postgres/migrate';
import { initTeamDatabase } from '@main/store/postgres/team-setup';
import { postgresSkipReason, usePostgresCluster } from '../helpers/postgres-test';

describe.skipIf(postgresSkipReason !== null)(
  `team database migrations${postgresSkipReason ? ` (skipped: ${postgresSkipReason})` : ''}`,
  () => {
    const cluster = usePostgresCluster();
    const clients: pg.Client[] = [];
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((client) => client.end()));
    });
    async function admin(database: string): Promise<pg.Client> {
      const client = new pg.Client({ connectionString: cluster().superuserUrl(database) });
      await client.connect();
      clients.push(client);
      return client;
    }

    it('lists the migrations 1, 2, 3, … from the .sql files', () => {
      const migrations = loadPostgresMigrations();
      expect(migrations.length).toBeGreaterThanOrEqual(4);
      expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
      expect(latestPostgresVersion(migrations)).toBe(migrations.length);
    });

    it('team init creates the roles and the schema once; a second run changes nothing', async () => {
      const client = await admin(cluster().createDatabase());
      const first = await initTeamDatabase(client);
      expect(first.schemaFrom).toBe(0);
      expect(first.schemaTo).toBe(latestPostgresVersion());
      expect(first.migrationsApplied).toEqual(loadPostgresMigrations().map((m) => m.version));
      const second = await initTeamDatabase(client);
      expect(second).toMatchObject({ rolesCreated: [], migrationsApplied: [], schemaFrom: first.schemaTo });
      const recorded = await client.query(
        'SELECT version, name, applied_by FROM guardtrace_schema_migrations ORDER BY version',
      );
      expect(recorded.rows.map((r) => r.version)).toEqual(first.migrationsApplied);
      expect(new Set(recorded.rows.map((r) => r.applied_by))).toEqual(new Set([cluster().superuser]));
      await expect(assertPostgresSchemaCurrent(client)).resolves.toBeUndefined();
    });

    it('two team inits at once apply each migration exactly once (advisory lock)', async () => {
      const database = cluster().createDatabase();
      const [a, b] = [await admin(database), await admin(database)];
      const results = await Promise.all([initTeamDatabase(a), initTeamDatabase(b)]);
      const applied = results.flatMap((r) => r.migrationsApplied).sort((x, y) => x - y);
      expect(applied).toEqual(loadPostgresMigrations().map((m) => m.version));
    });

    it('refuses a database with a newer schema and changes nothing', async () => {
      const client = await admin(cluster().createDatabase());
      await initTeamDatabase(client);
      const latest = latestPostgresVersion();
      await client.query(`INSERT INTO guardtrace_schema_migrations (version, name) VALUES ($1, 'from-the-future')`, [
        latest + 1,
      ]);
      const tablesBefore = await client.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'");
      await expect(initTeamDatabase(client)).rejects.toMatchObject({
        code: 'schema_too_new',
        message: expect.stringMatching(
          /newer GuardTrace.*schema \d+; this version knows up to \d+.*Nothing was changed/,
        ),
      });
      await expect(migratePostgres(client)).rejects.toMatchObject({ code: 'schema_too_new' });
      await expect(assertPostgresSchemaCurrent(client)).rejects.toMatchObject({ code: 'schema_too_new' });
      const tablesAfter = await client.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'");
      expect(tablesAfter.rows[0].n).toBe(tablesBefore.rows[0].n);
      expect(await postgresSchemaVersion(client)).toBe(latest + 1);
    });

    it('a database not set up yet is refused with what to run', async () => {
      const client = await admin(cluster().createDatabase());
      await expect(assertPostgresSchemaCurrent(client)).rejects.toMatchObject({
        code: 'migration_failed',
        message: expect.stringContaining('guardtrace team init --store URL'),
      });
    });

    it('a failing migration rolls back whole and says which one', async () => {
      const client = await admin(cluster().createDatabase());
      const migrations = [
        { version: 1, name: 'good', sql: 'CREATE TABLE one (x int)' },
        { version: 2, name: 'bad', sql: 'CREATE TABLE two (x int); SELECT * FROM no_such_table' },
      ];
      await expect(migratePostgres(client, migrations)).rejects.toMatchObject({
        code: 'migration_failed',
        message: expect.stringMatching(/0002-bad failed and was rolled back \(the database is still at schema 1\)/),
      });
      expect(await postgresSchemaVersion(client)).toBe(1);
      const two = await client.query("SELECT to_regclass('public.two') AS t");
      expect(two.rows[0].t).toBeNull();
    });
  },
);
