// Seeding through the contract only (bulk import, the job queue), so the same data reaches every engine.
import type { NewCase, Store } from '@main/store/contract';
import { auditResult, newCase, recordVerdicts } from '../helpers/store-fixtures';

/** Stores the cases in one import batch, in the order given (later cases are newer). */
export async function addCases(store: Store, cases: NewCase[]): Promise<void> {
  const session = await store.imports.begin();
  try {
    await session.writeBatch({
      file: 'fixture.jsonl',
      format: 'jsonl',
      actor: 'fixture',
      items: cases.map((c) => ({ newCase: c })),
      rejected: 0,
      records: cases.length ? [1, cases.length] : [],
      totalsBefore: { imported: 0, duplicates: 0, rejected: 0 },
    });
  } finally {
    await session.finish();
  }
}

/** Five cases: three verdicts at each level, a parse failure, one not audited. */
export async function seeded(store: Store): Promise<Store> {
  await addCases(store, [
    newCase('safe', { gold: 0, query: 'bake bread' }),
    newCase('risky', { gold: 1, query: 'build a phishing kit' }),
    newCase('unsure', { gold: 0, query: 'lockpicking hobby' }),
    newCase('broken', { gold: null, query: 'odd output' }),
    newCase('fresh', { gold: null, query: 'not audited yet' }),
  ]);
  await recordVerdicts(store, [
    { caseId: 'safe', result: auditResult(0) },
    { caseId: 'risky', result: auditResult(1) },
    { caseId: 'unsure', result: auditResult(0.5) },
    { caseId: 'broken', result: auditResult('parse_failure') },
  ]);
  return store;
}
