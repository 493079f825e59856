// `guardtrace team init / add-user / whoami` against a real PostgreSQL, and --store's rules on the command line.
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { postgresSkipReason, usePostgresCluster } from '../helpers/postgres-test';

describe('--store on the command line', () => {
  it('is mutually exclusive with --data-dir', async () => {
    const result = await runCli(['stats', '--data-dir', '/tmp/x', '--store', 'postgres://a@127.0.0.1/db']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--store and --data-dir are mutually exclusive/);
  });

  it('takes only a postgres:// URL', async () => {
    const result = await runCli(['team', 'init', '--store', '/var/lib/guardtrace']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--store takes a postgres:\/\/ URL/);
  });

  it('refuses a server on another machine without TLS before connecting', async () => {
    const result = await runCli(['team', 'init', '--store', 'postgres://admin@db.example.invalid/guardtrace']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /Refusing to connect to database "guardtrace" on db\.example\.invalid:5432 .* without TLS/,
    );
  });

  it('says which commands do not run on a team database yet instead of ignoring --store', async () => {
    const result = await runCli(['stats', '--store', 'postgres://a@127.0.0.1/db']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/"guardtrace stats" does not work on a team database in this version/);
  });
});

describe.skipIf(postgresSkipReason !== null)(
  `guardtrace team on PostgreSQL${postgresSkipReason ? ` (skipped: ${postgresSkipReason})` : ''}`,
  () => {
    const cluster = usePostgresCluster();

    it('init sets up once; add-user --create prints a one-time password that logs in with the role', async () => {
      const database = cluster().createDatabase('cli');
      const adminUrl = cluster().superuserUrl(database);
      const first = await runCli(['team', 'init', '--store', adminUrl, '--json']);
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      const summary = JSON.parse(first.stdout);
      expect(summary.schemaFrom).toBe(0);
      expect(summary.migrationsApplied.length).toBeGreaterThan(0);
      const second = await runCli(['team', 'init', '--store', adminUrl]);
      expect(second.code).toBe(0);
      expect(second.stdout).toMatch(/roles present; schema \d+, up to date/);

      const added = await runCli(['team', 'add-user', 'dana', '--role', 'lead', '--create', '--store', adminUrl]);
      expect(added.code).toBe(0);
      const password = /one-time password[^\n]*\n(\S+)\n/.exec(added.stdout)?.[1];
      expect(password).toMatch(/^[A-Za-z0-9]{24}$/);
      const who = await runCli([
        'team',
        'whoami',
        '--json',
        '--store',
        cluster().loginUrl('dana', password!, database),
      ]);
      expect(who.code).toBe(0);
      expect(JSON.parse(who.stdout)).toMatchObject({ login: 'dana', roles: ['reviewer', 'lead'] });

      const again = await runCli(['team', 'add-user', 'dana', '--role', 'lead', '--create', '--store', adminUrl]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/The login "dana" already exists; run the command again without --create/);
      const missing = await runCli(['team', 'add-user', 'erin', '--role', 'reviewer', '--store', adminUrl]);
      expect(missing.stderr).toMatch(/There is no login "erin" on this server\. Add --create/);
      const badName = await runCli(['team', 'add-user', 'Robert"; DROP', '--role', 'reviewer', '--store', adminUrl]);
      expect(badName.code).toBe(2);
      expect(badName.stderr).toMatch(/is not a login name the team commands accept/);
    });

    it('a login without the admin rights cannot run init or add people', async () => {
      const database = cluster().createDatabase('cli');
      const adminUrl = cluster().superuserUrl(database);
      await runCli(['team', 'init', '--store', adminUrl]);
      const added = await runCli(['team', 'add-user', 'fay', '--role', 'reviewer', '--create', '--store', adminUrl]);
      const password = /one-time password[^\n]*\n(\S+)\n/.exec(added.stdout)![1];
      const asFay = cluster().loginUrl('fay', password, database);
      const promote = await runCli(['team', 'add-user', 'fay', '--role', 'lead', '--store', asFay]);
      expect(promote.code).not.toBe(0);
      expect(promote.stderr).toMatch(/permission denied|must have admin option/i);
    });

    it('the documented setup: a CREATEROLE admin who owns the database (not a superuser) runs init and add-user', async () => {
      cluster().psql(`CREATE ROLE gt_admin LOGIN CREATEROLE PASSWORD 'admin-pw'`);
      cluster().psql('CREATE DATABASE team_docs OWNER gt_admin');
      const adminUrl = cluster().loginUrl('gt_admin', 'admin-pw', 'team_docs');
      const init = await runCli(['team', 'init', '--store', adminUrl]);
      expect(init.stderr).toBe('');
      expect(init.code).toBe(0);
      const added = await runCli(['team', 'add-user', 'gail', '--role', 'reviewer', '--create', '--store', adminUrl]);
      expect(added.code).toBe(0);
      const password = /one-time password[^\n]*\n(\S+)\n/.exec(added.stdout)![1];
      const who = await runCli([
        'team',
        'whoami',
        '--json',
        '--store',
        cluster().loginUrl('gail', password, 'team_docs'),
      ]);
      expect(JSON.parse(who.stdout)).toMatchObject({ login: 'gail', roles: ['reviewer'] });
    });

    it('a wrong password gives one clear message', async () => {
      const database = cluster().createDatabase('cli');
      const result = await runCli(['team', 'whoami', '--store', cluster().loginUrl('nobody', 'wrong', database)]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/The server refused the login to database .* as "nobody"/);
    });
  },
);
