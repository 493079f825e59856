// The team's group roles and their members. Creating roles and granting membership needs an admin login
// (CREATEROLE or superuser); everything else the team does runs under the person's own login.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import type { ClientBase } from 'pg';
import {
  TEAM_GROUP_ROLES,
  TEAM_LOGIN_NAME,
  TEAM_ROLES,
  type TeamRole,
  type TeamUserAdded,
} from '@domain/team-database';
import { StoreError } from '../errors';

const DUPLICATE_OBJECT = '42710';

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Creates the group roles that do not exist yet (NOLOGIN: people log in with their own roles). */
export async function ensureGroupRoles(client: ClientBase): Promise<string[]> {
  const created: string[] = [];
  for (const role of TEAM_ROLES) {
    const name = TEAM_GROUP_ROLES[role];
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
    if (exists.rowCount) continue;
    try {
      await client.query(`CREATE ROLE ${quoteIdentifier(name)} NOLOGIN`);
      created.push(name);
    } catch (error) {
      // Another admin's `team init` on another database of the same server created it first: roles are per server.
      if ((error as { code?: string }).code !== DUPLICATE_OBJECT) throw error;
    }
  }
  return created;
}

/**
 * A SCRAM-SHA-256 verifier for `password` (RFC 5802/7677, the form PostgreSQL stores), so that the one-time
 * password never reaches the server, or its statement log, in plain text.
 */
export function scramVerifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** 24 characters from an alphabet without look-alikes (~140 bits). */
export function oneTimePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789';
  return [...randomBytes(24)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

/**
 * Grants `role` to the login `login`; with `create`, creates the login first with a one-time password (returned
 * once, never stored). Refuses names that would need quoting, and reserved ones.
 */
export async function addTeamUser(
  client: ClientBase,
  options: { login: string; role: TeamRole; create: boolean },
): Promise<TeamUserAdded> {
  const { login, role, create } = options;
  if (!TEAM_ROLES.includes(role))
    throw new StoreError('invalid', `Unknown team role "${String(role)}". Use one of: ${TEAM_ROLES.join(', ')}.`);
  if (!TEAM_LOGIN_NAME.test(login) || login.startsWith('pg_') || login.startsWith('guardtrace_'))
    throw new StoreError(
      'invalid',
      `"${login}" is not a login name the team commands accept: use lower-case letters, digits, "_", "." or "-", ` +
        'starting with a letter or "_", at most 63 characters, not beginning with pg_ or guardtrace_.',
    );
  const group = TEAM_GROUP_ROLES[role];
  const groupExists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [group]);
  if (!groupExists.rowCount)
    throw new StoreError(
      'invalid',
      `The role ${group} does not exist yet: run "guardtrace team init --store URL" first.`,
    );

  const existing = await client.query<{ rolcanlogin: boolean }>('SELECT rolcanlogin FROM pg_roles WHERE rolname = $1', [
    login,
  ]);
  let password: string | undefined;
  if (create) {
    if (existing.rowCount)
      throw new StoreError(
        'conflict',
        `The login "${login}" already exists; run the command again without --create to grant it the ${role} role.`,
      );
    password = oneTimePassword();
    await client.query(
      `CREATE ROLE ${quoteIdentifier(login)} LOGIN PASSWORD ${client.escapeLiteral(scramVerifier(password))}`,
    );
  } else if (!existing.rowCount) {
    throw new StoreError(
      'not_found',
      `There is no login "${login}" on this server. Add --create to create it with a one-time password, or ask ` +
        'your database admin to create it (for LDAP, Kerberos or certificate logins).',
    );
  } else if (!existing.rows[0].rolcanlogin) {
    throw new StoreError('invalid', `"${login}" is a group role, not a login: grant roles to people's logins.`);
  }
  await client.query(`GRANT ${quoteIdentifier(group)} TO ${quoteIdentifier(login)}`);
  return { login, role, created: create, ...(password ? { oneTimePassword: password } : {}) };
}

/** The team roles `login` holds (directly or through another role), e.g. ['lead', 'reviewer'] for a lead. */
export async function teamRolesOf(client: ClientBase, login: string): Promise<TeamRole[]> {
  const held: TeamRole[] = [];
  for (const role of TEAM_ROLES) {
    const result = await client.query<{ member: boolean }>(`SELECT pg_has_role($1, $2, 'MEMBER') AS member`, [
      login,
      TEAM_GROUP_ROLES[role],
    ]);
    if (result.rows[0].member) held.push(role);
  }
  return held;
}
