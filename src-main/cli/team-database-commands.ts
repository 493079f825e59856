// `guardtrace team …`: setting up a team database (docs/team.md). Run by the database admin (init) and by whoever
// may manage logins (add-user). Only functions are taken from ./main (which imports this file), so the cycle is safe.
import { TEAM_ROLES, type TeamRole } from '@domain/team-database';
import { DATABASE_URL_ENV, isPostgresUrl, storeUrlFrom, teamAddUser, teamInit, teamWhoAmI } from '../api/team-database';
import { EXIT_OK, UsageError, oneOf, stringOption, type Command, type RunContext } from './main';
import { runTeamKeys, runTeamTrust } from './identity-commands';

/**
 * The team database a command runs on: --store URL, else $GUARDTRACE_DATABASE_URL unless --data-dir is given.
 * --store and --data-dir together are refused: which one was meant is not ours to guess.
 */
export function teamStoreUrl(values: RunContext['values']): string | undefined {
  const flag = stringOption(values, 'store');
  const dataDir = stringOption(values, 'data-dir');
  if (flag !== undefined && dataDir !== undefined)
    throw new UsageError(
      '--store and --data-dir are mutually exclusive: --store URL works on a team database, --data-dir DIR on a local workspace.',
    );
  const url = dataDir !== undefined ? undefined : storeUrlFrom(flag);
  if (url !== undefined && !isPostgresUrl(url))
    throw new UsageError(
      `${flag !== undefined ? '--store' : `$${DATABASE_URL_ENV}`} takes a postgres:// URL, e.g. ` +
        'postgres://alice@db.example.org/guardtrace?sslmode=verify-full (got something else).',
    );
  return url;
}

function requireStore(context: RunContext): string {
  if (!context.storeUrl)
    throw new UsageError(`"guardtrace team" needs the team database: --store URL or $${DATABASE_URL_ENV}.`);
  return context.storeUrl;
}

async function runTeam(context: RunContext): Promise<number> {
  const [action, ...rest] = context.positionals;
  const { io } = context;
  switch (action) {
    case 'init': {
      if (rest.length) throw new UsageError(`team init takes no arguments (got ${rest.join(' ')})`);
      const summary = await teamInit(requireStore(context));
      if (context.json) io.stdout(`${JSON.stringify(summary)}\n`);
      else
        io.stdout(
          `PostgreSQL ${summary.serverVersion}: ` +
            (summary.rolesCreated.length ? `created roles ${summary.rolesCreated.join(', ')}; ` : 'roles present; ') +
            (summary.migrationsApplied.length
              ? `schema ${summary.schemaFrom} → ${summary.schemaTo} (applied ${summary.migrationsApplied.join(', ')})`
              : `schema ${summary.schemaTo}, up to date`) +
            '\n',
        );
      return EXIT_OK;
    }
    case 'add-user': {
      if (rest.length !== 1)
        throw new UsageError('team add-user takes one login name: guardtrace team add-user NAME --role R');
      const role = oneOf(stringOption(context.values, 'role'), TEAM_ROLES, 'role') as TeamRole | undefined;
      if (!role) throw new UsageError(`--role is required: ${TEAM_ROLES.join('|')}`);
      const added = await teamAddUser(requireStore(context), {
        login: rest[0],
        role,
        create: context.values.create === true,
      });
      if (context.json) io.stdout(`${JSON.stringify(added)}\n`);
      else {
        io.stdout(`${added.login}: ${added.created ? 'login created, ' : ''}granted ${added.role}\n`);
        if (added.oneTimePassword)
          io.stdout(
            `one-time password (shown once, not stored; hand it over in person and have it changed with \\password):\n` +
              `${added.oneTimePassword}\n`,
          );
      }
      return EXIT_OK;
    }
    case 'whoami': {
      const who = await teamWhoAmI(requireStore(context));
      if (context.json) io.stdout(`${JSON.stringify(who)}\n`);
      else
        io.stdout(
          `${who.login} on PostgreSQL ${who.serverVersion}; team roles: ${who.roles.length ? who.roles.join(', ') : 'none'}\n`,
        );
      return EXIT_OK;
    }
    case 'trust':
      return runTeamTrust(context, rest);
    case 'keys':
      return runTeamKeys(context, rest);
    default:
      throw new UsageError(
        action
          ? `unknown team action "${action}": use init, add-user, whoami, trust or keys`
          : 'missing action: init, add-user, whoami, trust or keys',
      );
  }
}

export const TEAM_DATABASE_COMMANDS: Record<string, Command> = {
  team: {
    summary: "team database (PostgreSQL): set it up, add people, check a login; teammates' keys for packs",
    usage:
      'guardtrace team init --store URL | guardtrace team add-user NAME --role reviewer|lead|auditor [--create] --store URL | guardtrace team whoami --store URL | guardtrace team trust FILE --as NAME | guardtrace team keys [--json]',
    details: `  init             (database admin) create the group roles guardtrace_reviewer, guardtrace_lead, guardtrace_auditor,
                   the schema and its permissions; run again it changes nothing; a newer schema is refused
  add-user NAME    grant a team role to the login NAME
  --role R         reviewer (decides cases), lead (imports, assigns, adjudicates, exports) or auditor (a machine
                   that runs the model)
  --create         create the login first and print a one-time password (for SCRAM; skip it for LDAP, Kerberos
                   or certificate logins, which IT creates)
  whoami           the login the URL connects as, its team roles and the server version
  trust FILE       (packs) enrol a teammate's public key file (guardtrace identity export) in this data folder:
                   the lead enrols each reviewer's, a reviewer the lead's; only packs and decisions files signed
                   by an enrolled key are imported, and decisions are stored under the enrolled name
  --as NAME        the name the key is enrolled as (for a reviewer: the name the lead's packs are made for)
  keys             the keys this data folder trusts: name, fingerprint, when and by whom enrolled
  The URL follows libpq: PGPASSWORD or ~/.pgpass for the password, sslmode=verify-full and sslrootcert= (or
  PGSSLROOTCERT) for a server on another machine, which is refused without TLS.`,
    options: { role: { type: 'string' }, create: { type: 'boolean' }, as: { type: 'string' } },
    run: runTeam,
  },
};
