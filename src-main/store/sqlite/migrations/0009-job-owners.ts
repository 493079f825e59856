import type { Migration } from './migration';

// Several processes may work the one job queue (the app and `guardtrace audit`). A running job names the process
// that claimed it (pid plus a random token chosen when that process opened the store, so a reused pid is not
// mistaken for the owner) and when that process last showed it was alive. Only a job whose owner is gone
// (pid not running, or no heartbeat for a while) is put back in the queue. ADD COLUMN only: other migrations
// rebuild other tables.
export const jobOwners: Migration = {
  version: 9,
  name: 'job-owners',
  up: `
    ALTER TABLE jobs ADD COLUMN owner_pid INTEGER;
    ALTER TABLE jobs ADD COLUMN owner_token TEXT;
    ALTER TABLE jobs ADD COLUMN heartbeat_at TEXT;
  `,
};
