import type { Migration } from './migration';

// Teammates' Ed25519 public keys this workspace trusts (issue 19, item 1): a reviewer enrols the lead's key, the lead
// each reviewer's (`guardtrace team trust FILE --as NAME`). A pack or decisions file is accepted only when signed by
// one of them, and a decision's reviewer is the name its key was enrolled as. One name per key and one key per name.
export const trustedKeys: Migration = {
  version: 16,
  name: 'trusted-keys',
  up: `
    CREATE TABLE trusted_keys (
      public_key   TEXT PRIMARY KEY CHECK (length(public_key) = 44),
      fingerprint  TEXT NOT NULL,
      name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
      enrolled_at  TEXT NOT NULL,
      enrolled_by  TEXT NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX trusted_keys_name ON trusted_keys (name COLLATE NOCASE);
  `,
};
