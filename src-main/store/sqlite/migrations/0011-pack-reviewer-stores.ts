import type { Migration } from './migration';

// Which reviewer workstation (store id) a pack's decisions come from, recorded by the first decisions file the lead
// imports for it. Origin ids are a workstation's own review ids, so decisions of one pack imported and decided on two
// workstations collide: a file from a second store is refused and explained instead of being merged (issue 19).
export const packReviewerStores: Migration = {
  version: 11,
  name: 'pack-reviewer-stores',
  up: `
    CREATE TABLE pack_reviewer_stores (
      pack_id            TEXT PRIMARY KEY REFERENCES packs (id),
      reviewer_store_id  TEXT NOT NULL,
      first_file         TEXT NOT NULL,
      recorded_at        TEXT NOT NULL
    ) STRICT;
  `,
};
