// TLS as a team uses it: a server certificate signed by the team's CA, checked by the client with
// sslmode=verify-full (chain and host name). A real TLS server (the throwaway cluster with ssl=on) and real
// certificates made with openssl for this run.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTeamDatabase } from '@main/store/postgres/connect';
import { startPostgresCluster, type PostgresCluster } from '../helpers/postgres-cluster';
import { postgresSkipReason } from '../helpers/postgres-test';
import { tempDir } from '../helpers/temp-dir';

let opensslMissing: string | null = null;
try {
  execFileSync('openssl', ['version'], { stdio: 'ignore' });
} catch {
  opensslMissing = 'openssl is not installed (it makes the test certificates)';
}
const skipReason = postgresSkipReason ?? opensslMissing;

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA, and a server certificate it signs for `localhost` only (not for 127.0.0.1). */
function makeCertificates(dir: string, name: string): { ca: string; cert: string; key: string } {
  const file = (suffix: string) => path.join(dir, `${name}-${suffix}`);
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${name} team CA`,
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.crt'),
    ],
    dir,
  );
  openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-keyout',
      file('server.key'),
      '-out',
      file('server.csr'),
    ],
    dir,
  );
  writeFileSync(file('ext.cnf'), 'subjectAltName=DNS:localhost\n');
  openssl(
    [
      'x509',
      '-req',
      '-in',
      file('server.csr'),
      '-CA',
      file('ca.crt'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      file('ext.cnf'),
      '-out',
      file('server.crt'),
    ],
    dir,
  );
  return { ca: file('ca.crt'), cert: file('server.crt'), key: file('server.key') };
}

describe.skipIf(skipReason !== null)(`TLS to the team database${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const dir = tempDir();
  let team: { ca: string; cert: string; key: string };
  let stranger: { ca: string };
  let cluster: PostgresCluster;
  let database = '';

  beforeAll(async () => {
    team = makeCertificates(dir, 'team');
    stranger = makeCertificates(dir, 'other');
    cluster = await startPostgresCluster({ tls: { certFile: team.cert, keyFile: team.key } });
    database = cluster.createDatabase('tls');
    cluster.psql(`CREATE ROLE tina LOGIN PASSWORD 'tina-pw'`);
  });
  afterAll(() => cluster?.stop());

  const url = (host: string, ca: string) =>
    `postgres://tina:tina-pw@${host}:${cluster.port}/${database}?sslmode=verify-full&sslrootcert=${ca}`;

  it('verify-full with the team CA and the name on the certificate: connected over TLS', async () => {
    const client: pg.Client = await connectTeamDatabase(url('localhost', team.ca), {});
    const ssl = await client.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    expect(ssl.rows[0].ssl).toBe(true);
    await client.end();
  });

  it('a certificate from another CA is refused before anything is sent', async () => {
    await expect(connectTeamDatabase(url('localhost', stranger.ca), {})).rejects.toMatchObject({
      message: expect.stringMatching(/TLS certificate was not accepted .*team's CA/),
    });
  });

  it('a host name that is not on the certificate is refused', async () => {
    await expect(connectTeamDatabase(url('127.0.0.1', team.ca), {})).rejects.toMatchObject({
      message: expect.stringMatching(/TLS certificate was not accepted/),
    });
  });
});
