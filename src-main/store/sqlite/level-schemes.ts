// Which verdict vocabulary applies where: a case is judged in the levels and categories of the profile that gave its
// latest verdict (a case without one, in the first scheme: the default profile's); figures over the whole store use
// the profile of the latest verdict stored.
import { GUARDTRACE_LEVEL_SCHEME, type LevelScheme } from '@domain/levels';
import type { Db } from './open-database';

export class LevelSchemes {
  private readonly byProfile: Map<string, LevelScheme>;
  private readonly fallback: LevelScheme;
  private readonly caseProfileStmt;
  private readonly latestProfileStmt;

  constructor(db: Db, schemes: readonly LevelScheme[] = []) {
    const all = schemes.length ? schemes : [GUARDTRACE_LEVEL_SCHEME];
    this.fallback = all[0];
    this.byProfile = new Map(all.map((scheme) => [scheme.profileId, scheme]));
    this.caseProfileStmt = db
      .prepare<[string], string>('SELECT profile_id FROM audits WHERE case_id = ? ORDER BY id DESC LIMIT 1')
      .pluck();
    this.latestProfileStmt = db.prepare<[], string>('SELECT profile_id FROM audits ORDER BY id DESC LIMIT 1').pluck();
  }

  forProfile(profileId: string | undefined): LevelScheme {
    return (profileId !== undefined && this.byProfile.get(profileId)) || this.fallback;
  }

  forCase(caseId: string): LevelScheme {
    return this.forProfile(this.caseProfileStmt.get(caseId));
  }

  forStore(): LevelScheme {
    return this.forProfile(this.latestProfileStmt.get());
  }
}
