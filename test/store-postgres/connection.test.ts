// Reaching the team database: libpq conventions, TLS required off this machine, and one clear message for each way
// a connection or a statement can fail (wrong password, no TLS, statement_timeout, a dropped connection), with
// nothing half-saved.
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  passwordFromPgpass,
  postgresClientConfig,
  storeUrlFrom,
  teamTarget,
} from '@main/store/postgres/connection-config';
import { connectTeamDatabase, withTeamDatabase } from '@main/store/postgres/connect';
import { closePool, openPool } from '@main/store/postgres/pool';
import { addTeamUser } from '@main/store/postgres/roles';
import { initTeamDatabase } from '@main/store/postgres/team-setup';
import { postgresSkipReason, usePostgresCluster } from '../helpers/postgres-test';
import { tempDir } from '../helpers/temp-dir';

describe('team database connection settings', () => {
  const dir = tempDir();
  const ca = path.join(dir, 'team-ca.crt');
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nnot parsed before the handshake\n-----END CERTIFICATE-----\n');

  it('refuses a server on another machine without TLS, or with TLS that does not check the server', () => {
    for (const url of [
      'postgres://alice@db.example.org/guardtrace',
      'postgres://alice@db.example.org/guardtrace?sslmode=require',
      'postgres://alice@db.example.org/guardtrace?sslmode=prefer',
      'postgres://alice@10.0.0.5/guardtrace?sslmode=verify-ca',
    ]) {
      expect(() => postgresClientConfig(url, {}), url).toThrow(/must be reached over TLS .*sslmode=verify-full/);
    }
    expect(() => postgresClientConfig('postgres://alice@db.example.org/guardtrace', { PGSSLMODE: 'disable' })).toThrow(
      /with sslmode=disable/,
    );
  });

  it('takes the team CA from sslrootcert= or PGSSLROOTCERT, and says which file is missing', () => {
    const viaUrl = postgresClientConfig(`postgres://alice@db.example.org/g?sslmode=verify-full&sslrootcert=${ca}`, {});
    expect(viaUrl.ssl).toMatchObject({ rejectUnauthorized: true, servername: 'db.example.org' });
    expect((viaUrl.ssl as { ca: string }).ca).toContain('BEGIN CERTIFICATE');
    const viaEnv = postgresClientConfig('postgres://alice@db.example.org/g', {
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: ca,
    });
    expect((viaEnv.ssl as { ca: string }).ca).toContain('BEGIN CERTIFICATE');
    expect(() =>
      postgresClientConfig('postgres://alice@db.example.org/g?sslmode=verify-full', {
        PGSSLROOTCERT: path.join(dir, 'missing.crt'),
      }),
    ).toThrow(/Cannot read the team's CA certificate .*missing\.crt \(ENOENT\)/);
  });

  it('lets a server on this machine be reached without TLS (loopback or unix socket)', () => {
    for (const url of [
      'postgres://alice@127.0.0.1/g',
      'postgres://alice@localhost:5433/g',
      'postgres://alice@[::1]/g',
      'postgres://alice@/g?host=/var/run/postgresql',
    ]) {
      expect(postgresClientConfig(url, {}).ssl, url).toBe(false);
    }
  });

  it('fills in what the URL leaves out from the PG* environment, as libpq does', () => {
    expect(
      teamTarget('postgres:///', { PGHOST: 'db.example.org', PGPORT: '6432', PGUSER: 'bob', PGDATABASE: 'gt' }),
    ).toMatchObject({
      host: 'db.example.org',
      port: 6432,
      user: 'bob',
      database: 'gt',
      local: false,
    });
    expect(postgresClientConfig('postgres://alice@127.0.0.1/g', { PGPASSWORD: 'from-env' }).password).toBe('from-env');
    expect(postgresClientConfig('postgres://alice:in-url@127.0.0.1/g', { PGPASSWORD: 'from-env' }).password).toBe(
      'in-url',
    );
  });

  it('reads ~/.pgpass (PGPASSFILE) with wildcards and escapes, and ignores one others can read', () => {
    const file = path.join(dir, 'pgpass');
    writeFileSync(file, '# team\nother:5432:*:alice:nope\n127.0.0.1:5432:g:alice:s3cr\\:et\n*:*:*:*:fallback\n');
    chmodSync(file, 0o600);
    const target = teamTarget('postgres://alice@127.0.0.1/g', {});
    expect(passwordFromPgpass(target, { PGPASSFILE: file })).toBe('s3cr:et');
    expect(passwordFromPgpass(teamTarget('postgres://bob@127.0.0.1/x', {}), { PGPASSFILE: file })).toBe('fallback');
    chmodSync(file, 0o644);
    expect(passwordFromPgpass(target, { PGPASSFILE: file })).toBeUndefined();
  });

  it('takes --store, else GUARDTRACE_DATABASE_URL', () => {
    expect(storeUrlFrom('postgres://a@127.0.0.1/x', { GUARDTRACE_DATABASE_URL: 'postgres://b@127.0.0.1/y' })).toBe(
      'postgres://a@127.0.0.1/x',
    );
    expect(storeUrlFrom(undefined, { GUARDTRACE_DATABASE_URL: 'postgres://b@127.0.0.1/y' })).toBe(
      'postgres://b@127.0.0.1/y',
    );
    expect(storeUrlFrom(undefined, {})).toBeUndefined();
  });

  it('refuses what is not a postgres:// URL', () => {
    expect(() => postgresClientConfig('mysql://a@b/c', {})).toThrow(/postgres:\/\/ URL/);
  });
});

describe.skipIf(postgresSkipReason !== null)(
  `team database connection failures${postgresSkipReason ? ` (skipped: ${postgresSkipReason})` : ''}`,
  () => {
    const cluster = usePostgresCluster();
    const dir = tempDir();
    let database = '';
    let password = '';
    let admin: pg.Client;
    beforeAll(async () => {
      database = cluster().createDatabase('conn');
      admin = new pg.Client({ connectionString: cluster().superuserUrl(database) });
      await admin.connect();
      await initTeamDatabase(admin);
      password = (await addTeamUser(admin, { login: 'carol', role: 'reviewer', create: true })).oneTimePassword!;
      await admin.query(
        `INSERT INTO cases (id, query, thinking, response, source_file, source_record) VALUES ('k1', 'q', 't', 'r', 'f', 1)`,
      );
    });
    afterAll(async () => {
      await admin?.end();
    });

    it('connects as the login with the password from PGPASSWORD', async () => {
      const client = await connectTeamDatabase(`postgres://carol@127.0.0.1:${cluster().port}/${database}`, {
        PGPASSWORD: password,
      });
      expect((await client.query('SELECT session_user AS u')).rows[0].u).toBe('carol');
      await client.end();
    });

    it('a wrong password: one message naming the login, the database and what to check', async () => {
      await expect(connectTeamDatabase(cluster().loginUrl('carol', 'wrong', database), {})).rejects.toMatchObject({
        message: expect.stringMatching(
          new RegExp(
            `refused the login to database "${database}" on 127\\.0\\.0\\.1:\\d+ as "carol".*PGPASSWORD, ~/\\.pgpass`,
          ),
        ),
      });
    });

    it('a server without TLS when TLS is required: refused before anything is sent', async () => {
      const ca = path.join(dir, 'ca.crt');
      writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n');
      const url = `${cluster().loginUrl('carol', password, database)}?sslmode=verify-full&sslrootcert=${ca}`;
      await expect(connectTeamDatabase(url, {})).rejects.toMatchObject({
        message: expect.stringMatching(
          /the server does not offer TLS, and this connection requires it \(sslmode=verify-full\)/,
        ),
      });
    });

    it('a statement_timeout hit: one message, and nothing of the statement saved', async () => {
      const url = cluster().loginUrl('carol', password, database);
      await expect(
        withTeamDatabase(
          url,
          async (client) => {
            await client.query('BEGIN');
            await client.query(
              `INSERT INTO reviews (case_id, kind, risk, source) VALUES ('k1', 'decision', 1, 'manual')`,
            );
            await client.query("SET LOCAL statement_timeout = '50ms'");
            await client.query('SELECT pg_sleep(2)');
          },
          {},
        ),
      ).rejects.toMatchObject({
        code: 'busy',
        message: expect.stringMatching(/statement_timeout\)\. Nothing of it was saved/),
      });
      const saved = await admin.query(`SELECT count(*)::int AS n FROM reviews WHERE case_id = 'k1'`);
      expect(saved.rows[0].n).toBe(0);
    });

    it('a connection dropped mid-submit: one message, and the decision is not half-saved', async () => {
      const url = cluster().loginUrl('carol', password, database);
      const submit = withTeamDatabase(
        url,
        async (client) => {
          await client.query('BEGIN');
          await client.query(
            `INSERT INTO reviews (case_id, kind, risk, source) VALUES ('k1', 'decision', 0, 'manual')`,
          );
          await client.query("SELECT pg_sleep(5), 'guardtrace-drop-me'");
          await client.query('COMMIT');
        },
        {},
      );
      // Its refusal is awaited below, but may come while the loop still runs: handle it from now on, or node
      // reports the early rejection as unhandled.
      const refused = expect(submit).rejects.toMatchObject({
        code: 'busy',
        message: expect.stringMatching(/was lost .*was not saved/),
      });
      // Cut the connection from the server side while the transaction is open.
      for (let i = 0; i < 50; i++) {
        const killed = await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%guardtrace-drop-me%' AND pid <> pg_backend_pid()`,
        );
        if (killed.rowCount) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await refused;
      const saved = await admin.query(`SELECT count(*)::int AS n FROM reviews WHERE case_id = 'k1'`);
      expect(saved.rows[0].n).toBe(0);
    });

    it('a lost idle connection is reported, not thrown; closePool returns once every connection is closed', async () => {
      const lost: string[] = [];
      const pool = openPool({ connectionString: cluster().loginUrl('carol', password, database), max: 3 }, (error) =>
        lost.push(error.message),
      );
      const connections: pg.Client[] = [];
      const closed = new Set<pg.Client>();
      pool.on('connect', (client) => {
        connections.push(client);
        client.once('end', () => closed.add(client));
      });
      const held = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
      for (const client of held) client.release();
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'carol'`);
      for (let i = 0; i < 100 && lost.length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(lost).toHaveLength(3);
      expect(lost[0]).toMatch(/terminat/);
      // The next query opens a fresh connection.
      expect((await pool.query('SELECT session_user AS u')).rows[0].u).toBe('carol');
      await Promise.all([pool.connect(), pool.connect()]).then((clients) => clients.forEach((c) => c.release()));
      await closePool(pool);
      // pg-pool's own end() resolves before the sockets close; closePool waits for each one.
      expect(connections.length).toBeGreaterThanOrEqual(5);
      expect(connections.filter((client) => !closed.has(client))).toEqual([]);
    });
  },
);
