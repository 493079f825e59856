import { describe, expect, it } from 'vitest';
import type { CaseStore } from '@main/store/sqlite';
import { auditResult, newCase, openTempStore } from '../helpers/store-fixtures';

// Bulk imports switch the per-row FTS trigger off for their batch and index the batch's rows in one statement
// at its end (CaseRepository.withDeferredFtsIndexing); search must still see exactly the rows that exist.

describe('deferred FTS indexing', () => {
  const search = (store: CaseStore, words: string) =>
    store.cases.list({ search: words, sort: 'newest' }).rows.map((r) => r.id);
  const integrityCheck = (store: CaseStore) =>
    store.db.exec("INSERT INTO cases_fts (cases_fts, rank) VALUES ('integrity-check', 1)");

  it('indexes the rows a batch added in one go, and turns the per-row trigger back on afterwards', () => {
    const store = openTempStore();
    store.cases.insert(newCase('before', { query: 'ransomware before' }), null);
    store.transaction(() =>
      store.cases.withDeferredFtsIndexing(() => {
        store.cases.insert(newCase('b1', { query: 'ransomware one' }), null);
        store.cases.insert(newCase('before', { query: 'duplicate ignored' }), null);
        store.cases.insert(newCase('b2', { response: 'ransomware two' }), null);
        expect(search(store, 'ransomware')).toEqual(['before']); // not yet: indexed at the end of the batch
      }),
    );
    expect(search(store, 'ransomware')).toEqual(['b2', 'b1', 'before']);
    expect(search(store, 'duplicate')).toEqual([]);
    store.cases.insert(newCase('after', { thinking: 'ransomware after' }), null);
    expect(search(store, 'ransomware')).toEqual(['after', 'b2', 'b1', 'before']);
    expect(store.db.prepare('SELECT count(*) FROM cases_fts_deferred').pluck().get()).toBe(0);
    expect(() => integrityCheck(store)).not.toThrow();
  });

  it('rolls back a failed batch whole: no cases, no index entries, trigger on', () => {
    const store = openTempStore();
    expect(() =>
      store.transaction(() =>
        store.cases.withDeferredFtsIndexing(() => {
          store.cases.insert(newCase('lost', { query: 'ransomware lost' }), null);
          throw new Error('disk full');
        }),
      ),
    ).toThrow('disk full');
    expect(store.metrics.stats().cases).toBe(0);
    store.cases.insert(newCase('kept', { query: 'ransomware kept' }), null);
    expect(search(store, 'ransomware')).toEqual(['kept']);
    expect(() => integrityCheck(store)).not.toThrow();
  });

  it('still indexes the rows when the work fails but the caller commits anyway', () => {
    const store = openTempStore();
    store.transaction(() => {
      try {
        store.cases.withDeferredFtsIndexing(() => {
          store.cases.insert(newCase('half', { query: 'ransomware half' }), null);
          throw new Error('caught below');
        });
      } catch {
        // the caller chooses to keep what was inserted
      }
    });
    expect(search(store, 'ransomware')).toEqual(['half']);
    expect(() => integrityCheck(store)).not.toThrow();
  });

  it('refuses to run outside a transaction, where the switch could be committed on its own', () => {
    const store = openTempStore();
    expect(() => store.cases.withDeferredFtsIndexing(() => undefined)).toThrow(/inside a transaction/);
    expect(store.db.prepare('SELECT count(*) FROM cases_fts_deferred').pluck().get()).toBe(0);
  });

  it('keeps search in step after verdicts, decisions and undo change the imported rows', () => {
    const store = openTempStore();
    store.transaction(() =>
      store.cases.withDeferredFtsIndexing(() => {
        for (let i = 0; i < 50; i++) store.cases.insert(newCase(`k${i}`, { query: `keylogger number${i}` }), null);
      }),
    );
    store.transaction(() => {
      for (let i = 0; i < 50; i += 2) store.audits.insert(`k${i}`, auditResult(1));
    });
    store.reviews.submit({ caseId: 'k4', risk: 0, reviewer: 'ann' });
    store.reviews.undoLast('ann');
    store.reviews.submit({ caseId: 'k6', risk: 0.5, reviewer: 'ann' });
    expect(store.cases.list({ search: 'keylogger' }).total).toBe(50);
    expect(search(store, 'number6')).toEqual(['k6']);
    expect(store.cases.list({ search: 'keylogger', sort: 'model_risk', limit: 3 }).rows.map((r) => r.id)).toEqual([
      'k0',
      'k2',
      'k4',
    ]);
    expect(store.cases.list({ search: 'keylogger', status: 'reviewed' }).rows.map((r) => r.id)).toEqual(['k6']);
    expect(() => integrityCheck(store)).not.toThrow();
  });
});
