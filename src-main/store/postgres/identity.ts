// In team mode who did something is the database login. A name a caller passes (--reviewer, a window's setting) is
// never used: when it differs from the login it is refused, so that nothing is silently recorded under another name.
import { StoreError } from '../errors';

export function refuseOtherName(given: string | undefined, login: string, what = 'decision'): void {
  if (given === undefined || given.trim() === '' || given.trim() === login) return;
  throw new StoreError(
    'invalid',
    `On the team database every ${what} is recorded under your database login "${login}", not "${given.trim()}". ` +
      'Leave the reviewer name out (or log in as that person).',
  );
}
