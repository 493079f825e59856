// Team-database administration (`guardtrace team init`, `team add-user`, "Test connection"), exported to the layers
// above store/ through open-store.ts, the one file besides contract.ts that they may import.
import type { TeamInitSummary, TeamRole, TeamUserAdded } from '@domain/team-database';
import { withTeamDatabase } from './connect';
import { addTeamUser, teamRolesOf } from './roles';
import { initTeamDatabase, serverVersion } from './team-setup';

export { DATABASE_URL_ENV, isPostgresUrl, storeUrlFrom } from './connection-config';

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
