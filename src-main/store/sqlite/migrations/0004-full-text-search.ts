import type { Migration } from './migration';

// External-content FTS5 index over the three texts, kept in step by triggers; rowid = cases.seq.
export const fullTextSearch: Migration = {
  version: 4,
  name: 'full-text-search',
  up: `
    CREATE VIRTUAL TABLE cases_fts USING fts5(
      query, thinking, response,
      content = 'cases', content_rowid = 'seq',
      tokenize = 'unicode61 remove_diacritics 2'
    );
    INSERT INTO cases_fts (rowid, query, thinking, response) SELECT seq, query, thinking, response FROM cases;
    CREATE TRIGGER cases_fts_insert AFTER INSERT ON cases BEGIN
      INSERT INTO cases_fts (rowid, query, thinking, response) VALUES (new.seq, new.query, new.thinking, new.response);
    END;
    CREATE TRIGGER cases_fts_delete AFTER DELETE ON cases BEGIN
      INSERT INTO cases_fts (cases_fts, rowid, query, thinking, response) VALUES ('delete', old.seq, old.query, old.thinking, old.response);
    END;
    CREATE TRIGGER cases_fts_update AFTER UPDATE OF query, thinking, response ON cases BEGIN
      INSERT INTO cases_fts (cases_fts, rowid, query, thinking, response) VALUES ('delete', old.seq, old.query, old.thinking, old.response);
      INSERT INTO cases_fts (rowid, query, thinking, response) VALUES (new.seq, new.query, new.thinking, new.response);
    END;
  `,
};
