// Team-database administration for the CLI (`guardtrace team init`, `guardtrace team add-user`) and, later, the
// settings screen's "Test connection": thin wrappers over store/postgres that the layers above api/ may call.
import type { TeamInitSummary, TeamRole, TeamUserAdded } from '@domain/team-database';
import { withTeamDatabase } from '../store/postgres/connect';
import { storeUrlFrom, isPostgresUrl, DATABASE_URL_ENV } from '../store/postgres/connection-config';
import { addTeamUser, teamRolesOf } from '../store/postgres/roles';
import { initTeamDatabase, serverVersion } from '../store/postgres/team-setup';

export { DATABASE_URL_ENV, isPostgresUrl, storeUrlFrom };

export function teamInit(url: string): Promise<TeamInitSummary> {
  return withTeamDatabase(url, initTeamDatabase);
}

export function teamAddUser(
  url: string,
  options: { login: string; role: TeamRole; create: boolean },
): Promise<TeamUserAdded> {
  return withTeamDatabase(url, (client) => addTeamUser(client, options));
}

/** Who the URL logs in as, with which team roles, on which server version ("Test connection"). */
export function teamWhoAmI(url: string): Promise<{ login: string; roles: TeamRole[]; serverVersion: string }> {
  return withTeamDatabase(url, async (client) => {
    const login = (await client.query<{ u: string }>('SELECT session_user AS u')).rows[0].u;
    const roles = await teamRolesOf(client, login).catch(() => [] as TeamRole[]);
    return { login, roles, serverVersion: (await serverVersion(client)).text };
  });
}
