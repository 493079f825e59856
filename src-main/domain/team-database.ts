// The team database (PostgreSQL) as the rest of the app sees it: the roles a login can hold and what setup reports.
// The SQL behind them is in src-main/store/postgres/ (docs/team.md).

/** What a person or machine may do on the team database; each is a PostgreSQL group role (TEAM_GROUP_ROLES). */
export const TEAM_ROLES = ['reviewer', 'lead', 'auditor'] as const;
export type TeamRole = (typeof TEAM_ROLES)[number];

export const TEAM_GROUP_ROLES: Record<TeamRole, string> = {
  reviewer: 'guardtrace_reviewer',
  lead: 'guardtrace_lead',
  auditor: 'guardtrace_auditor',
};

/** A database login name the team commands accept: plain, so it never needs quoting in pg_hba.conf or logs. */
export const TEAM_LOGIN_NAME = /^[a-z_][a-z0-9_.-]{0,62}$/;

export interface TeamInitSummary {
  /** The group roles this run created (none when they all existed). */
  rolesCreated: string[];
  schemaFrom: number;
  schemaTo: number;
  migrationsApplied: number[];
  serverVersion: string;
}

export interface TeamUserAdded {
  login: string;
  role: TeamRole;
  created: boolean;
  /** Only when the login was created: shown once, never stored. */
  oneTimePassword?: string;
}
