// One clear message per way reaching the team database can fail: what happened, to which database, what to do.
import { StoreError } from '../errors';
import { describeTarget, type TeamTarget } from './connection-config';

interface PgLikeError {
  code?: string;
  message: string;
}

/** Turns a node-postgres or socket error into a StoreError the moderator or admin can act on. */
export function explainPostgresError(error: unknown, target: TeamTarget): StoreError {
  if (error instanceof StoreError) return error;
  const { code, message } = (error ?? {}) as PgLikeError;
  const where = describeTarget(target);
  const text = String(message ?? error);
  if (code === '28P01' || code === '28000')
    return new StoreError(
      'invalid',
      `The server refused the login to ${where}: ${text}. Check the password (PGPASSWORD, ~/.pgpass or the one ` +
        'your lead gave you) or ask your database admin whether pg_hba.conf lets you in from this computer.',
    );
  if (code === '3D000')
    return new StoreError('not_found', `${where}: the database does not exist. Check the name in the URL.`);
  if (code === '57014')
    return new StoreError(
      'busy',
      `${where}: the server cancelled the statement (statement_timeout). Nothing of it was saved; try again, ` +
        'and if it keeps happening ask your admin about the server load.',
    );
  if (code === '42501')
    return new StoreError('invalid', `${where}: the database refused this for your login (${text}).`);
  if (/does not support SSL/i.test(text))
    return new StoreError(
      'invalid',
      `${where}: the server does not offer TLS, and this connection requires it (sslmode=${target.sslmode}). ` +
        'Ask your database admin to turn on ssl in postgresql.conf; nothing was sent.',
    );
  if (/self[- ]signed|unable to verify|certificate|altnames|Hostname\/IP does not match/i.test(text))
    return new StoreError(
      'invalid',
      `${where}: the server's TLS certificate was not accepted (${text}). Check that sslrootcert/PGSSLROOTCERT is ` +
        "the team's CA and that the URL uses the host name on the server's certificate; nothing was sent.",
    );
  if (code === 'ECONNREFUSED' || code === 'ENOENT')
    return new StoreError(
      'busy',
      `Nothing answers at ${where} (${code}). Check the host and port, and that the server is running.`,
    );
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new StoreError('invalid', `The host of ${where} does not resolve (${code}). Check its spelling.`);
  if (/timeout|terminated|ECONNRESET|Connection terminated/i.test(text) || code === 'ECONNRESET' || code === '57P01')
    return new StoreError(
      'busy',
      `The connection to ${where} was lost (${text}). What was not acknowledged was not saved; it reconnects and ` +
        'you can try again.',
    );
  return new StoreError('invalid', `${where}: ${text}`);
}
