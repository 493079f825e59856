// Where the team database is and how to reach it safely, by libpq's conventions so that IT's usual setup works
// unchanged: a postgres:// URL (from --store or GUARDTRACE_DATABASE_URL), PGHOST/PGPORT/PGUSER/PGDATABASE,
// PGPASSWORD or ~/.pgpass (never a password of ours on disk), PGSSLMODE/PGSSLROOTCERT/PGSSLCERT/PGSSLKEY or the
// same names as URL parameters. TLS is required, with the server's certificate checked against the team's CA and
// its host name (sslmode=verify-full), unless the server is on this machine (loopback or a unix socket).
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ClientConfig } from 'pg';
import { StoreError } from '../errors';

export const DATABASE_URL_ENV = 'GUARDTRACE_DATABASE_URL';

/** True for a postgres:// or postgresql:// URL (what --store takes). */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value.trim());
}

export interface TeamTarget {
  host: string;
  port: number;
  user: string;
  database: string;
  /** The host is this machine: a unix socket folder or a loopback address. */
  local: boolean;
  sslmode: string | null;
}

type Env = Record<string, string | undefined>;

/** What to show for a target in a message: never the password. */
export function describeTarget(target: Pick<TeamTarget, 'host' | 'port' | 'user' | 'database'>): string {
  const where = target.host.startsWith('/') ? `the socket in ${target.host}` : `${target.host}:${target.port}`;
  return `database "${target.database}" on ${where} as "${target.user}"`;
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

function parseUrl(url: string): URL {
  if (!isPostgresUrl(url))
    throw new StoreError(
      'invalid',
      'A team database is named by a postgres:// URL, e.g. postgres://alice@db.example.org/guardtrace?sslmode=verify-full',
    );
  try {
    // libpq takes postgres://user@/db (a unix socket, no host), which WHATWG URLs reject: move the user to ?user=.
    const socketForm = /^(postgres(?:ql)?:\/\/)([^@/?#:]+)@\/(.*)$/i.exec(url.trim());
    if (socketForm) {
      const parsed = new URL(`${socketForm[1]}/${socketForm[3]}`);
      parsed.searchParams.set('user', decodeURIComponent(socketForm[2]));
      return parsed;
    }
    return new URL(url.trim());
  } catch {
    throw new StoreError(
      'invalid',
      'The team database URL is not a valid URL; check its spelling (postgres://user@host/database).',
    );
  }
}

/** Host, port, user, database and sslmode of `url`, with libpq's environment defaults filled in. */
export function teamTarget(url: string, env: Env = process.env): TeamTarget {
  const parsed = parseUrl(url);
  const param = (name: string) => parsed.searchParams.get(name) ?? undefined;
  const host = param('host') || decodeURIComponent(parsed.hostname) || env.PGHOST || '/var/run/postgresql';
  const port = Number(param('port') || parsed.port || env.PGPORT || 5432);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new StoreError('invalid', `The team database port "${parsed.port}" is not a port number (1–65535).`);
  const user = decodeURIComponent(parsed.username) || param('user') || env.PGUSER || os.userInfo().username;
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || param('dbname') || env.PGDATABASE || user;
  const sslmode = param('sslmode') || env.PGSSLMODE || null;
  if (sslmode && !SSL_MODES.includes(sslmode))
    throw new StoreError('invalid', `sslmode "${sslmode}" is not one of ${SSL_MODES.join(', ')}.`);
  return { host, port, user, database, local: host.startsWith('/') || isLoopback(host), sslmode };
}

/** libpq's ~/.pgpass (or $PGPASSFILE): host:port:database:user:password, "*" matches anything, \: and \\ escaped. */
export function passwordFromPgpass(target: TeamTarget, env: Env = process.env): string | undefined {
  const file = env.PGPASSFILE || path.join(os.homedir(), '.pgpass');
  let text: string;
  try {
    // Like libpq, ignore a file others can read: the password in it is no secret any more.
    if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) return undefined;
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const host = target.host.startsWith('/') ? 'localhost' : target.host;
  const wanted = [host, String(target.port), target.database, target.user];
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const fields: string[] = [];
    let current = '';
    for (let i = 0; i < line.length; i++) {
      if (line[i] === '\\' && i + 1 < line.length) current += line[++i];
      else if (line[i] === ':' && fields.length < 4) {
        fields.push(current);
        current = '';
      } else current += line[i];
    }
    fields.push(current);
    if (fields.length !== 5) continue;
    if (wanted.every((value, i) => fields[i] === '*' || fields[i] === value)) return fields[4];
  }
  return undefined;
}

function readPem(file: string, what: string, hint: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new StoreError(
      'invalid',
      `Cannot read the ${what} ${file} (${(error as NodeJS.ErrnoException).code}). ${hint}`,
    );
  }
}

/**
 * The node-postgres settings for `url`. Refuses, before any connection is made, a server on another machine
 * that would be reached without TLS or without checking its certificate against the team's CA.
 */
export function postgresClientConfig(url: string, env: Env = process.env): ClientConfig {
  const parsed = parseUrl(url);
  const target = teamTarget(url, env);
  const param = (name: string) => parsed.searchParams.get(name) ?? undefined;
  const urlPassword = decodeURIComponent(parsed.password);
  const config: ClientConfig = {
    host: target.host,
    port: target.port,
    user: target.user,
    database: target.database,
    application_name: 'guardtrace',
    // The URL's password, then PGPASSWORD, then ~/.pgpass: asked for only if the server wants one.
    password: urlPassword || env.PGPASSWORD || (async () => passwordFromPgpass(target, env) ?? ''),
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
  };

  const sslmode = target.sslmode;
  if (!target.local && sslmode !== 'verify-full') {
    throw new StoreError(
      'invalid',
      `Refusing to connect to ${describeTarget(target)} ${sslmode ? `with sslmode=${sslmode}` : 'without TLS'}: a team ` +
        "database on another machine must be reached over TLS with its certificate checked against the team's CA. " +
        'Add ?sslmode=verify-full&sslrootcert=/path/to/team-ca.crt to the URL (or set PGSSLMODE=verify-full and ' +
        'PGSSLROOTCERT); your database admin has the CA file.',
    );
  }
  if (sslmode === 'verify-full' || sslmode === 'verify-ca' || sslmode === 'require') {
    const rootCert = param('sslrootcert') || env.PGSSLROOTCERT || path.join(os.homedir(), '.postgresql', 'root.crt');
    const needsCa = sslmode !== 'require';
    const ca = needsCa
      ? readPem(
          rootCert,
          "team's CA certificate",
          'Set sslrootcert= in the URL or PGSSLROOTCERT to the CA file your database admin gave you.',
        )
      : undefined;
    const certFile = param('sslcert') || env.PGSSLCERT;
    const keyFile = param('sslkey') || env.PGSSLKEY;
    config.ssl = {
      ...(ca ? { ca } : {}),
      rejectUnauthorized: needsCa,
      // verify-ca checks the chain only; verify-full (the default for remote servers) also the host name.
      ...(sslmode === 'verify-full' ? { servername: target.host.startsWith('/') ? undefined : target.host } : {}),
      ...(sslmode !== 'verify-full' ? { checkServerIdentity: () => undefined } : {}),
      ...(certFile ? { cert: readPem(certFile, 'client certificate', 'Check sslcert= or PGSSLCERT.') } : {}),
      ...(keyFile ? { key: readPem(keyFile, 'client key', 'Check sslkey= or PGSSLKEY.') } : {}),
    };
  } else {
    config.ssl = false;
  }
  return config;
}

/** --store URL, else GUARDTRACE_DATABASE_URL, else none. */
export function storeUrlFrom(flag: string | undefined, env: Env = process.env): string | undefined {
  return flag?.trim() || env[DATABASE_URL_ENV]?.trim() || undefined;
}
