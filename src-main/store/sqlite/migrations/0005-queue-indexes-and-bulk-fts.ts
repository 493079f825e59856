import type { Migration } from './migration';

// Two measured bottlenecks at 100k cases (docs/store.md):
//
// 1. The cases table is ~2 KB a row (three texts), far bigger than the page cache, so any queue query that
//    reads table rows for tens of thousands of cases costs tens to hundreds of milliseconds. These indexes let
//    the queue page, count and aggregate from narrow covering indexes and touch table rows only for the page
//    shown.
// 2. The per-row FTS trigger is most of the import time. A bulk import inserts one row here inside its batch
//    transaction to switch the trigger off, indexes the batch's new rows with one INSERT … SELECT, and deletes
//    the row again before commit (CaseRepository.withDeferredFtsIndexing). The row is never committed, so
//    other connections and every other writer always see the trigger on, and a kill mid-batch rolls back the
//    cases and their index entries together.
export const queueIndexesAndBulkFts: Migration = {
  version: 5,
  name: 'queue-indexes-and-bulk-fts',
  up: `
    -- "unreviewed/reviewed, by model risk": filter and order from one index, so deep pages skip index entries only.
    CREATE INDEX cases_human_risk_model_risk ON cases (human_risk, model_risk DESC, seq);
    -- The category filter matches either column; each side is answered from its own index.
    CREATE INDEX cases_model_category ON cases (model_category, seq);
    CREATE INDEX cases_human_category ON cases (human_category, seq);
    -- Every column the status counts, stats and metrics read: they scan this instead of the 200 MB table.
    CREATE INDEX cases_queue_state ON cases (model_status, human_risk, model_risk, gold, model_category, human_category);

    CREATE TABLE cases_fts_deferred (
      one INTEGER PRIMARY KEY CHECK (one = 1)
    ) STRICT;
    DROP TRIGGER cases_fts_insert;
    CREATE TRIGGER cases_fts_insert AFTER INSERT ON cases WHEN NOT EXISTS (SELECT 1 FROM cases_fts_deferred) BEGIN
      INSERT INTO cases_fts (rowid, query, thinking, response) VALUES (new.seq, new.query, new.thinking, new.response);
    END;
  `,
};
