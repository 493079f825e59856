import type { AuditResult } from '@domain/audits';
import type { RiskLevel } from '@domain/types';
import type { Store } from '@main/store/contract';
import { CaseStore, type NewCase } from '@main/store/sqlite';
import { sqliteStoreOver } from '@main/store/sqlite/sqlite-store';
import { openDatabase, type Db } from '@main/store/sqlite/open-database';
import { tempDir } from './temp-dir';

export function openTempStore(): CaseStore {
  return CaseStore.open(tempDir());
}

const contracts = new WeakMap<CaseStore, Store>();

/** The store contract over a SQLite CaseStore a test also inspects directly (one per CaseStore). */
export function asStore(store: CaseStore): Store {
  let contract = contracts.get(store);
  if (!contract) contracts.set(store, (contract = sqliteStoreOver(store)));
  return contract;
}

export function newCase(id: string, overrides: Partial<NewCase> = {}): NewCase {
  return {
    id,
    query: `query ${id}`,
    thinking: `thinking ${id}`,
    response: `response ${id}`,
    imageSha256: null,
    imageRef: null,
    imageMissing: false,
    gold: null,
    sourceFile: 'fixture.jsonl',
    sourceRecord: 1,
    meta: {},
    ...overrides,
  };
}

/** An AuditResult as an engine returns it; the verdict is what the test needs, the rest is plausible bookkeeping. */
export function auditResult(
  risk: RiskLevel | 'parse_failure' | 'truncated',
  overrides: Partial<AuditResult> = {},
): AuditResult {
  return {
    rawOutput:
      risk === 'parse_failure'
        ? 'no verdict here'
        : risk === 'truncated'
          ? '"Analysis": this goes on and on'
          : `"Analysis": fine\n"Judgment": ${risk}`,
    verdict:
      risk === 'parse_failure'
        ? { status: 'parse_failure', error: 'no Judgment found', category: null, analysis: null }
        : risk === 'truncated'
          ? {
              status: 'truncated',
              error: 'stopped at the token limit',
              category: null,
              analysis: 'this goes on and on',
            }
          : { status: 'ok', risk, category: risk === 0 ? null : 'Cybersecurity', analysis: 'fine' },
    profileId: 'guardtrace-vl',
    levelProbs: null,
    levelProbsNote: 'fixture',
    provenance: {
      profileId: 'guardtrace-vl',
      engine: 'llama.node',
      modelSha256: null,
      mmprojSha256: null,
      promptSha256: 'prompt-a',
      imageMaxPixels: 16384 * 28 * 28,
      repetitionPenalty: 1.05,
      repetitionPenaltySource: 'profile default',
      repetitionPenaltyWindow: 'whole sequence',
      contextSize: 10192,
      maxPromptTokens: 8192,
      maxNewTokens: 2000,
      appVersion: 'test',
      reference: false,
    },
    imageMissing: false,
    engine: 'llama.node',
    modelId: 'model-a',
    promptSha256: 'prompt-a',
    promptHashOk: true,
    strictFormat: false,
    promptTokens: 100,
    cachedPromptTokens: 0,
    generatedTokens: 10,
    timings: { promptMs: 1, generateMs: 1, totalMs: 2 },
    ...overrides,
  };
}

/**
 * Stores engine results through the contract, as the audit runner does (queue, claim, complete), so a test can give
 * cases verdicts on any engine. A case that has a verdict for the result's model and prompt keeps it.
 */
export async function recordVerdicts(
  store: Store,
  entries: ReadonlyArray<{ caseId: string; result: AuditResult }>,
): Promise<void> {
  for (const { caseId, result } of entries) {
    await store.jobs.enqueue([caseId], result.modelId, result.promptSha256, 'test-fixture');
    const job = await store.jobs.claimCase(caseId, result.modelId, result.promptSha256);
    if (job) await store.jobs.complete(job, result);
  }
}

/** Marks a case's audit as failed with `reason`, as the runner does when it gives up on the case. */
export async function recordAuditFailure(store: Store, caseId: string, reason: string, modelId = 'fixture-model') {
  await store.jobs.enqueue([caseId], modelId, 'fixture-prompt', 'test-fixture');
  const job = await store.jobs.claimCase(caseId, modelId, 'fixture-prompt');
  if (!job) throw new Error(`No job could be claimed for case ${caseId}`);
  await store.jobs.fail(job, reason, 0);
}

/**
 * A second, read-only SQLite connection to a data folder's database, for tests that check what is on disk (the
 * store contract hands out no handle). Closed after `read`.
 */
export function readDatabase<T>(dataDir: string, read: (db: Db) => T): T {
  const db = openDatabase(dataDir, { readOnly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

const openedForTests = new Map<string, Db>();

/**
 * A read-only connection to a data folder's database that stays open for the test file (one per folder), for
 * assertions on what a core or CLI wrote; the contract itself hands out no database handle.
 */
export function databaseOf(dataDir: string): Db {
  let db = openedForTests.get(dataDir);
  if (!db?.open) openedForTests.set(dataDir, (db = openDatabase(dataDir, { readOnly: true })));
  return db;
}
