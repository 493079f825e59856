// The SQLite engine behind the store contract. better-sqlite3 is synchronous and each method below is one
// transaction of the repositories in this folder, so a method's promise settles once its transaction has
// committed (or failed): a caller that awaits a decision knows it is durable (synchronous = FULL).
import type { AuditJob } from '@domain/jobs';
import type { AuditResult } from '@domain/audits';
import type {
  AdjudicationRequest,
  BulkImporter,
  CompletedJob,
  DecisionInput,
  OpenStoreOptions,
  StepMarkRequest,
  Store,
} from '../contract';
import { DEMO_ENGINE } from '@domain/demo';
import { StoreError } from '../errors';
import { backupDatabase, dailyBackup } from './backup';
import { SqliteBulkImport } from './bulk-import';
import { CaseStore } from './index';
import { writeIntentBuffer } from './write-intent';

/** Opens (creating or migrating when allowed) the SQLite store in `dataDir`. */
export function openSqliteStore(dataDir: string, options: OpenStoreOptions = {}): Store {
  return sqliteStoreOver(
    CaseStore.open(dataDir, {
      nativeBinding: options.sqliteNativeBinding,
      readOnly: options.readOnly,
      levelSchemes: options.levelSchemes,
    }),
  );
}

/** The contract over an opened CaseStore (tests of SQLite-only behaviour hold both). */
export function sqliteStoreOver(store: CaseStore): Store {
  // Who did it: the name given, else this workspace's reviewer setting (docs/architecture.md, "Store contract").
  const actorOf = (given: string | undefined, what: string): string => {
    const name = given?.trim() || (store.settings.all().reviewer as string | undefined)?.trim();
    if (!name) throw new StoreError('invalid', `${what} needs a reviewer name (Settings → Reviewer, or --reviewer).`);
    return name;
  };
  const imports: BulkImporter = {
    begin: async (options = {}) => new SqliteBulkImport(store, options.letWritersIn),
    writerSignal: () => writeIntentBuffer(),
  };
  return {
    engine: 'sqlite',
    describe: store.dataDir,
    cases: {
      list: async (query) => store.cases.list(query),
      counts: async (filter) => store.cases.counts(filter),
      neighbors: async (query) => store.cases.neighbors(query),
      get: async (id) => store.caseDetail(id),
      content: async (id) => store.cases.content(id),
      exists: async (id) => store.cases.exists(id),
      unauditedIds: async (modelId, promptSha256, limit) => store.cases.unauditedIds(modelId, promptSha256, limit),
      forEachContent: (onPage) => store.caseContent.forEach(onPage),
    },
    decisions: {
      submit: async (input: DecisionInput) =>
        store.reviews.submit({ ...input, reviewer: actorOf(input.reviewer, 'A decision') }),
      undoLast: async (reviewer) => store.reviews.undoLast(actorOf(reviewer, 'An undo')),
      bulkAccept: async (caseIds, reviewer) => store.reviews.bulkAccept(caseIds, actorOf(reviewer, 'Accepting')),
      current: async (caseId) => store.reviews.current(caseId),
    },
    adjudication: {
      view: async (caseId) => store.adjudication.view(caseId),
      adjudicate: async (input: AdjudicationRequest) =>
        store.adjudication.adjudicate({ ...input, reviewer: actorOf(input.reviewer, 'An adjudication') }),
    },
    verdicts: {
      latest: async (caseId) => store.audits.latest(caseId),
      forModel: async (caseId, modelId, promptSha256) => store.audits.forModel(caseId, modelId, promptSha256),
      recordDemo: async (entries, actor) => recordDemoVerdicts(store, entries, actorOf(actor, 'The sample workspace')),
    },
    jobs: {
      owner: store.jobs.owner,
      enqueue: async (caseIds, modelId, promptSha256, batchId) =>
        store.jobs.enqueue(caseIds, modelId, promptSha256, batchId),
      claimNext: async (modelId, promptSha256) => store.jobs.claimNext(modelId, promptSha256),
      claimCase: async (caseId, modelId, promptSha256) => store.jobs.claimCase(caseId, modelId, promptSha256),
      complete: async (job, result) => completeJob(store, job, result),
      fail: async (job, error, maxAttempts) =>
        store.transaction(() => {
          const outcome = store.jobs.markFailed(job, error, maxAttempts);
          // The case itself says its audit failed and why, until a later audit gives it a verdict.
          if (outcome === 'failed') store.auditFailures.record(job.caseId, 'failed', error);
          return outcome;
        }),
      release: async (jobId) => store.jobs.release(jobId),
      heartbeat: async () => store.jobs.heartbeat(),
      requeueOrphaned: async (options) => store.jobs.requeueOrphaned(options),
      cancelQueued: async (modelId) => store.jobs.cancelQueued(modelId),
      countQueued: async (modelId, promptSha256) => store.jobs.countQueued(modelId, promptSha256),
      counts: async () => store.jobs.counts(),
    },
    packs: {
      storeId: async () => store.packs.storeId(),
      get: async (packId) => store.packs.get(packId),
      list: async () => store.packs.list(),
      manifestSha256: async (packId) => store.packs.manifestSha256(packId),
      digestOf: async (caseId) => store.packs.digestOf(caseId),
      selectCases: async (selection) => store.packs.selectCases(selection),
      packCase: async (caseId) => store.packs.packCase(caseId),
      recordIssued: async (packs, actor) => store.packs.recordIssued(packs, actorOf(actor, 'Creating packs')),
      recordReceived: async (pack) =>
        store.packs.recordReceived(pack, actorOf(pack.actor, 'Importing a pack'), store.images, store.audits),
      decisionsSince: async (packId) => store.packs.decisionsSince(packId),
      importDecisions: async (body, checksum, file, actor) =>
        store.packs.importDecisions(body, checksum, file, actorOf(actor, 'Importing decisions')),
      decisionConflicts: async (body) => store.packConflicts.conflicts(body),
      reviewerStore: async (packId) => store.packConflicts.reviewerStore(packId),
      recordReviewerStore: async (packId, reviewerStoreId, file) =>
        store.packConflicts.recordReviewerStore(packId, reviewerStoreId, file),
      trustedKeys: async () => store.trustedKeys.list(),
      trustKey: async (key, actor) => store.trustedKeys.trust(key, actorOf(actor, 'Enrolling a key')),
    },
    settings: {
      all: async () => store.settings.all(),
      setMany: async (values) => store.settings.setMany(values),
    },
    metrics: {
      stats: async () => store.metrics.stats(),
      metrics: async (query) => store.metrics.metrics(query),
      fidelity: async (query) => store.metrics.fidelity(query?.recipe ?? 'all'),
      teamAgreement: async () => store.team.agreement(),
    },
    images: {
      put: async (bytes) => store.images.writeFile(bytes),
      info: async (sha256) => store.images.info(sha256),
      read: (sha256) => store.images.read(sha256),
      readChecked: (sha256, verify) => store.images.readChecked(sha256, verify),
      localPath: (sha256) => store.images.pathFor(sha256),
    },
    imports,
    exports: {
      forEachPage: (only, onPage) => store.exports.forEachPage(only, onPage),
    },
    backups: {
      backup: (out) => backupDatabase(store.db, out),
      daily: (keep = 7) => dailyBackup(store.db, store.dataDir, keep),
    },
    gold: {
      set: async (input) => store.gold.set({ ...input, actor: actorOf(input.actor, 'Setting gold') }),
      unset: async (caseId, actor) => store.gold.unset(caseId, actorOf(actor, 'Removing gold')),
      get: async (caseId) => store.gold.get(caseId),
      list: async () => store.gold.list(),
      count: async () => store.gold.count(),
      report: async (rate) => store.gold.report(rate),
    },
    exposure: {
      record: async (moderator, kind, caseId, at) => store.exposure.record(moderator, kind, caseId, at),
      startBreak: async (moderator, at) => store.exposure.startBreak(moderator, at),
      endBreak: async (moderator, limits, at) => store.exposure.endBreak(moderator, limits, at),
      status: async (moderator, limits, at) => store.exposure.status(moderator, limits, at),
    },
    steps: {
      enqueue: async (spec) => store.stepSearches.enqueue(spec),
      claim: async (modelId, promptSha256, searchId) => store.stepSearches.claim(modelId, promptSha256, searchId),
      recordProbe: async (searchId, probe, modelHashes) =>
        store.transaction(() => {
          const stored = store.stepSearches.recordProbe(searchId, probe);
          if (modelHashes)
            store.stepSearches.setModelHashes(searchId, modelHashes.modelSha256, modelHashes.mmprojSha256);
          return stored;
        }),
      finish: async (searchId, status, located) => store.stepSearches.finish(searchId, status, located),
      fail: async (searchId, error) => store.stepSearches.fail(searchId, error),
      release: async (searchId) => store.stepSearches.release(searchId),
      cancelQueued: async () => store.stepSearches.cancelQueued(),
      heartbeat: async () => store.stepSearches.heartbeat(),
      requeueOrphaned: async (options) => store.stepSearches.requeueOrphaned(options),
      get: async (searchId) => store.stepSearches.get(searchId),
      latestForCase: async (caseId) => store.stepSearches.latestForCase(caseId),
      flaggedWithoutSearch: async (modelId, promptSha256, limit) =>
        store.stepSearches.flaggedWithoutSearch(modelId, promptSha256, limit),
      counts: async () => store.stepSearches.counts(),
      label: async (caseId) => store.stepSearches.label(caseId),
      mark: async (request) => markStep(store, request, actorOf(request.reviewer, 'A step mark')),
      undoLastMark: async (caseId, reviewer) => undoLastStepMark(store, caseId, actorOf(reviewer, 'An undo')),
    },
    close: async () => store.close(),
  };
}

/** The mark and its activity-log entry (steps.confirm / steps.clear, with the label it replaces): one transaction. */
function markStep(store: CaseStore, request: StepMarkRequest, reviewer: string): number {
  return store.transaction(() => {
    if (!store.cases.exists(request.caseId)) throw new StoreError('not_found', `No case ${request.caseId}.`);
    const before = store.stepSearches.label(request.caseId);
    const markId = store.stepSearches.addMark({
      caseId: request.caseId,
      kind: request.kind,
      stepIndex: request.stepIndex,
      stepOffset: request.stepOffset,
      traceSha256: request.traceSha256,
      reviewer,
    });
    store.activityLog.append({
      actor: reviewer,
      action: request.kind === 'step' ? 'steps.confirm' : 'steps.clear',
      caseId: request.caseId,
      before,
      after: { markId, stepIndex: request.stepIndex, stepOffset: request.stepOffset, of: request.stepCount },
    });
    return markId;
  });
}

/** The undo mark and its activity-log entry (steps.undo): one transaction; null when nothing was left to undo. */
function undoLastStepMark(
  store: CaseStore,
  caseId: string,
  reviewer: string,
): { undoneId: number; undoId: number } | null {
  return store.transaction(() => {
    const before = store.stepSearches.label(caseId);
    const result = store.stepSearches.undoLastMark(caseId, reviewer);
    if (result)
      store.activityLog.append({
        actor: reviewer,
        action: 'steps.undo',
        caseId,
        before,
        after: { undoneMarkId: result.undoneId, label: store.stepSearches.label(caseId) },
      });
    return result;
  });
}

/** The verdict, the job done, the case's failure state and the log entry: one transaction. */
function completeJob(store: CaseStore, job: Pick<AuditJob, 'id' | 'caseId'>, result: AuditResult): CompletedJob {
  return store.transaction(() => {
    const record = store.audits.insert(job.caseId, result);
    store.jobs.markDone(job.id);
    // Output cut at the token limit is stored as a truncated verdict; the case also says so until a later
    // audit gives it a readable verdict.
    if (result.verdict.status === 'truncated')
      store.auditFailures.record(job.caseId, 'truncated', result.verdict.error);
    else store.auditFailures.clear(job.caseId);
    if (record) {
      store.activityLog.append({
        actor: `model:${record.modelId}`,
        action: 'audit.verdict',
        caseId: job.caseId,
        after: {
          auditId: record.id,
          status: record.status,
          risk: record.risk,
          category: record.category,
          promptHashOk: record.promptHashOk,
        },
      });
    }
    return {
      audit: record ?? store.audits.forModel(job.caseId, result.modelId, result.promptSha256),
      stored: record !== null,
    };
  });
}

/** Hand-written demo verdicts (the sample workspace) and their log entries: one transaction. */
function recordDemoVerdicts(
  store: CaseStore,
  entries: ReadonlyArray<{ caseId: string; result: AuditResult }>,
  actor: string,
): number {
  for (const { caseId, result } of entries)
    if (result.engine !== DEMO_ENGINE)
      throw new StoreError('invalid', `A demo verdict must come from the "${DEMO_ENGINE}" engine (case "${caseId}").`);
  return store.transaction(() => {
    let stored = 0;
    for (const { caseId, result } of entries) {
      if (store.audits.insert(caseId, result) === null) continue;
      stored++;
      store.activityLog.append({
        actor,
        action: 'demo_verdict',
        caseId,
        after: {
          risk: result.verdict.status === 'ok' ? result.verdict.risk : null,
          category: result.verdict.category,
          note: 'demo verdict, written by hand, not a model',
        },
      });
    }
    return stored;
  });
}
