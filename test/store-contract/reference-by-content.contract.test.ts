// What an import of the reference script's output needs from the store, once per engine (engines.ts): every case's
// content in seq order (cases.forEachContent), and a bulk-import item that attaches a reference verdict to a case
// already stored (ImportBatchItem.existingCase) in the batch's one transaction.
import { afterEach, describe, expect, it } from 'vitest';
import { parseVerdict } from '@main/engine/profiles/guardtrace-vl/verdict-parser';
import type { CaseContentKey, ImportBatchItem, Store } from '@main/store/contract';
import { newCase } from '../helpers/store-fixtures';
import { engines, type EngineFactory } from './engines';
import { addCases } from './seed';

const OUTPUT = '"Analysis": Gives steps. Crime and illegal activities.\n"Judgment": 1';

function referenceItem(caseId: string, record: number, extra: Partial<ImportBatchItem> = {}): ImportBatchItem {
  return {
    newCase: newCase(caseId, { sourceFile: 'results.json', sourceRecord: record }),
    referenceVerdict: { caseId, rawOutput: OUTPUT, verdict: parseVerdict(OUTPUT), provenance: { reference: true } },
    ...extra,
  };
}

async function writeOne(store: Store, items: ImportBatchItem[]) {
  const session = await store.imports.begin();
  try {
    return await session.writeBatch({
      file: 'results.json',
      format: 'guardtrace-results',
      actor: 'fixture',
      items,
      rejected: 0,
      records: [1, items.length],
      totalsBefore: { imported: 0, duplicates: 0, rejected: 0 },
    });
  } finally {
    await session.finish();
  }
}

describe.each(engines())('store contract on %s', (_name, engine: EngineFactory) => {
  const reason = engine.unavailable();
  const open: Store[] = [];
  const track = (store: Store) => (open.push(store), store);
  afterEach(async () => {
    for (const store of open.splice(0).reverse()) await store.close();
  });

  describe.skipIf(reason !== null)(`reference results by content${reason ? ` (skipped: ${reason})` : ''}`, () => {
    it('reads every case’s texts and image name, oldest first', async () => {
      const store = track(await engine.open());
      await addCases(store, [newCase('b', { imageRef: 'cat.png' }), newCase('a')]);
      const seen: CaseContentKey[] = [];
      await store.cases.forEachContent((page) => void seen.push(...page));
      expect(seen).toEqual([
        { id: 'b', query: 'query b', thinking: 'thinking b', response: 'response b', imageRef: 'cat.png' },
        { id: 'a', query: 'query a', thinking: 'thinking a', response: 'response a', imageRef: null },
      ]);
    });

    it('an existing-case item stores only its reference verdict, counted as duplicate and matchedExisting', async () => {
      const store = track(await engine.open());
      await addCases(store, [newCase('kept', { query: 'original query' })]);
      const result = await writeOne(store, [referenceItem('kept', 1, { existingCase: true }), referenceItem('new', 2)]);
      expect(result).toEqual({
        imported: 1,
        duplicates: 1,
        imagesMissing: 0,
        reference: { verdicts: 2, alreadyPresent: 0, parseFailures: 0, matchedExisting: 1 },
      });
      // The stored case is left as it was (its query is not the item's).
      expect((await store.cases.content('kept')).query).toBe('original query');
      const again = await writeOne(store, [referenceItem('kept', 1, { existingCase: true })]);
      expect(again.reference).toEqual({ verdicts: 0, alreadyPresent: 1, parseFailures: 0, matchedExisting: 1 });
    });

    it('refuses an existing-case item whose case is not stored, and keeps nothing of its batch', async () => {
      const store = track(await engine.open());
      await expect(
        writeOne(store, [referenceItem('new', 1), referenceItem('gone', 2, { existingCase: true })]),
      ).rejects.toMatchObject({ name: 'StoreError', code: 'not_found' });
      expect(await store.cases.exists('new')).toBe(false);
    });
  });
});
