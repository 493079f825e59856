// The case store as its callers (api/, jobs/, io/, cli/) see it: asynchronous, records in and records out.
// No database handle, no driver rows, no SQL fragments cross this line, so that an engine (store/sqlite/ today,
// store/postgres/ next) can be swapped behind it. Split by job the way Signal-Desktop's DataReader/DataWriter are:
// each part below is one job, and every write method is one transaction of its own (all or nothing).
//
// Identity: a method that records who did something takes an optional name (`reviewer`/`actor`). The SQLite
// engine uses the name given, else the workspace's reviewer setting. A team engine takes the identity from its
// connection (PostgreSQL's session_user) and refuses a name that differs from it, so that nothing typed by a user
// or sent by a window decides who did what.
import type { ActivityLogEntry } from '@domain/activity-log';
import type { AuditRecord, AuditResult, ParsedVerdict } from '@domain/audits';
import type {
  CaseContent,
  CaseDetail,
  FilterCounts,
  ImageRef,
  QueueFilter,
  QueuePage,
  QueueQuery,
} from '@domain/cases';
import type { ExposureLimits, ExposureStatus } from '@domain/exposure';
import type { FidelityMetrics, MetricsQuery } from '@domain/fidelity';
import type { GoldCase, GoldReport, GoldSetInput } from '@domain/gold';
import type { ExportSelection, ImportFormat } from '@domain/io';
import type { AuditJob, JobStatus } from '@domain/jobs';
import type { LevelScheme } from '@domain/levels';
import type { Metrics, Stats } from '@domain/metrics';
import type { AnalysisSource } from '@domain/review-analysis';
import type {
  LocatedCounts,
  StepLabel,
  StepProbe,
  StepSearchRecord,
  StepSearchStatus,
} from '@domain/step-localization';
import type { ReviewInput, ReviewRecord } from '@domain/reviews';
import type {
  AdjudicationInput,
  AdjudicationView,
  DecisionBasis,
  DecisionsFileBody,
  DecisionsImportSummary,
  ExportedDecision,
  PackInfo,
  PackManifest,
  TeamAgreementReport,
  TrustedKey,
} from '@domain/team';
import type { AuditStatus } from '@domain/audits';
import type { RiskLevel } from '@domain/types';

/** Which engine holds the cases. */
export type StoreEngine = 'sqlite' | 'postgres';

/**
 * Where a store lives, as the workspace setting or `--data-dir`/`--store` gives it: a data folder (SQLite) or a
 * `postgres://` URL (a team database). `open-store.ts` turns it into a Store.
 */
export type StoreLocation = { kind: 'folder'; dataDir: string } | { kind: 'url'; url: string };

export interface OpenStoreOptions {
  /** Reading commands (stats, export): nothing is written; SQLite opens the file read-only. */
  readOnly?: boolean;
  /**
   * The verdict vocabularies (levels, categories) of the guard-model profiles in use, default first: a case is
   * reviewed, adjudicated and scored in the vocabulary of the profile that judged it. Default: GuardTrace-VL's.
   */
  levelSchemes?: readonly LevelScheme[];
  /** better-sqlite3 addon for this runtime when node_modules holds one built for another. SQLite only. */
  sqliteNativeBinding?: string;
  /**
   * The local folder a team engine caches fetched images in (0600 files, hash checked on read). For a data
   * folder it is that folder.
   */
  cacheDir?: string;
}

/** The whole contract: one object per job. `close` ends every connection; the store is unusable after it. */
export interface Store {
  readonly engine: StoreEngine;
  /** A data folder's path, or the URL without its password: for messages and the status bar. */
  readonly describe: string;
  readonly cases: CaseReader;
  readonly decisions: DecisionWriter;
  readonly adjudication: AdjudicationStore;
  readonly verdicts: VerdictStore;
  readonly jobs: JobQueue;
  readonly packs: PackStore;
  readonly settings: SettingsStore;
  readonly metrics: MetricsReader;
  readonly images: ImageStore;
  readonly imports: BulkImporter;
  readonly exports: ExportReader;
  readonly backups: BackupStore;
  readonly gold: GoldStore;
  readonly exposure: ExposureLog;
  readonly steps: StepSearchStore;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// Cases and the queue (read)

/** The cases before and after one case in the queue as currently sorted and filtered. */
export interface Neighbors {
  prev: string | null;
  next: string | null;
}

export interface CaseReader {
  /** One page of the queue and the total matching the filter. At most 1,000 rows a page. */
  list(query: QueueQuery): Promise<QueuePage>;
  /** How many cases each status filter would show, given the other filters. */
  counts(filter: QueueFilter): Promise<FilterCounts>;
  neighbors(query: QueueQuery & { id: string }): Promise<Neighbors>;
  /** Everything the case view shows; a StoreError 'not_found' naming the id for an unknown case. */
  get(id: string): Promise<CaseDetail>;
  /** The texts and image reference an audit reads; 'not_found' for an unknown id. */
  content(id: string): Promise<CaseContent>;
  exists(id: string): Promise<boolean>;
  /** Ids of cases with no verdict for this model and prompt and no live job, oldest first. */
  unauditedIds(modelId: string, promptSha256: string, limit: number): Promise<string[]>;
  /**
   * Every case's texts and image name, oldest first, a page at a time (never all rows in memory): what an import
   * of the reference script's output matches its records by when the ids differ (io/import/existing-cases.ts).
   */
  forEachContent(onPage: (rows: CaseContentKey[]) => void | Promise<void>): Promise<void>;
}

/** The content a case is found by: its texts and the image name it was imported with. */
export interface CaseContentKey {
  id: string;
  query: string;
  thinking: string;
  response: string;
  imageRef: string | null;
}

// ---------------------------------------------------------------------------------------------------------------
// Decisions and adjudication (write)

/** A decision as a caller sends it: the reviewer is optional (see the identity rule at the top). */
export type DecisionInput = Omit<ReviewInput, 'reviewer'> & { reviewer?: string };
export type AdjudicationRequest = Omit<AdjudicationInput, 'reviewer'> & { reviewer?: string };

export interface DecisionWriter {
  /** Records a decision and its activity-log entry in one transaction; resolved only after it is durable. */
  submit(input: DecisionInput): Promise<ReviewRecord>;
  /** Takes back the reviewer's latest decision still in force; the undo entry, or null when there is none. */
  undoLast(reviewer?: string): Promise<ReviewRecord | null>;
  /** Accepts the model's parsed verdict on each case that has one, each logged on its own case; one transaction. */
  bulkAccept(caseIds: string[], reviewer?: string): Promise<{ accepted: number; skipped: number }>;
  /** The decision in force on the case; null when there is none or it is in dispute. */
  current(caseId: string): Promise<ReviewRecord | null>;
}

export interface AdjudicationStore {
  view(caseId: string): Promise<AdjudicationView>;
  /** The adjudicator's decision: it becomes the decision in force and settles any dispute. */
  adjudicate(input: AdjudicationRequest): Promise<ReviewRecord>;
}

// ---------------------------------------------------------------------------------------------------------------
// Verdicts and the audit job queue (leases and heartbeats)

export interface VerdictStore {
  /** The case's latest verdict (the one its queue columns mirror), or null. */
  latest(caseId: string): Promise<AuditRecord | null>;
  forModel(caseId: string, modelId: string, promptSha256: string): Promise<AuditRecord | null>;
  /**
   * The sample workspace's hand-written demo verdicts (engine `demo`, provenance.demo), each with a 'demo_verdict'
   * activity-log entry, in one transaction; 'invalid' for a result whose engine is not `demo`. A case that has a
   * verdict for the result's model and prompt keeps it. How many were stored.
   */
  recordDemo(entries: ReadonlyArray<{ caseId: string; result: AuditResult }>, actor?: string): Promise<number>;
}

export type JobCounts = Record<JobStatus, number>;

/** The process (or machine) holding a job's lease: pid plus a random token, so a reused pid is never taken for it. */
export interface JobOwner {
  pid: number;
  token: string;
}

/** What became of a claimed job whose engine gave a result. */
export interface CompletedJob {
  /** The stored verdict; when the case already had one for this model and prompt, that one (never a second). */
  audit: AuditRecord | null;
  /** Whether this call stored the verdict (false: one was there already). */
  stored: boolean;
}

export interface JobQueue {
  /** This store's lease owner (one per opened store). */
  readonly owner: JobOwner;
  /** Queues the cases that have no verdict and no live job for this model and prompt; how many were queued. */
  enqueue(caseIds: string[], modelId: string, promptSha256: string, batchId: string): Promise<number>;
  /** Takes the oldest queued job for this model and prompt under this store's lease, or null. */
  claimNext(modelId: string, promptSha256: string): Promise<AuditJob | null>;
  /** Takes the queued job of one case (the case the moderator has open), if it has one. */
  claimCase(caseId: string, modelId: string, promptSha256: string): Promise<AuditJob | null>;
  /**
   * One transaction: the verdict (unique per case, model and prompt), the job done, the case's audit-failure state
   * (set for a truncated output, cleared otherwise) and the activity-log entry (actor `model:<id>`).
   */
  complete(job: Pick<AuditJob, 'id' | 'caseId'>, result: AuditResult): Promise<CompletedJob>;
  /**
   * A failed attempt: back to the queue until `maxAttempts`, then failed with its error; a job that ends failed
   * also marks its case as failed with the reason (one transaction).
   */
  fail(
    job: Pick<AuditJob, 'id' | 'caseId' | 'attempts'>,
    error: string,
    maxAttempts: number,
  ): Promise<'queued' | 'failed'>;
  /** Puts a job back (cancel, pause, engine-wide error) without counting an attempt. */
  release(jobId: number): Promise<void>;
  /** Renews the lease of every job this store is running; how many. */
  heartbeat(): Promise<number>;
  /**
   * Puts back running jobs whose lease holder is gone (process not running, or no heartbeat for `staleMs`).
   * A live holder's jobs, and this store's own, are left alone. Not an attempt.
   */
  requeueOrphaned(options?: { staleMs?: number; isAlive?: (pid: number) => boolean; now?: number }): Promise<number>;
  cancelQueued(modelId?: string): Promise<number>;
  /** Queued plus running jobs for this model and prompt. */
  countQueued(modelId: string, promptSha256: string): Promise<number>;
  counts(): Promise<JobCounts>;
}

// ---------------------------------------------------------------------------------------------------------------
// Assignment packs and decisions files (team review without a shared database)

/** A case as a pack carries it. */
export interface PackCase extends CaseContent {
  meta: Record<string, unknown>;
  /** Content digest (texts and image hash) the pack and its decisions file name it by. */
  digest: string;
  seq: number;
  /** The category the pack split goes by: the decision's, else the model's, else 'none'. */
  category: string;
}

/** A pack this store wrote, recorded once its file is complete. */
export interface IssuedPack {
  manifest: PackManifest;
  /** Full path of the written file (named in the activity log). */
  file: string;
  manifestSha256: string;
}

/** A received pack's content, stored in one transaction (its image bytes already stored with `images.put`). */
export interface ReceivedPack {
  manifest: PackManifest;
  fileName: string;
  manifestSha256: string;
  /** The pack's cases in its order; sourceFile/sourceRecord say where they came from. */
  cases: NewCase[];
  images: ImageRef[];
  verdicts: Array<{ caseId: string; result: AuditResult }>;
  /** Extra facts for the activity-log entry (the file path, counts). */
  logDetails: Record<string, unknown>;
  actor?: string;
}

/** A decisions-file entry whose (pack, origin id) is already stored here with other content (issue 19). */
export interface DecisionConflict {
  originId: number;
  caseId: string;
  /** The fields that differ, as "field: stored …, … in the file". */
  differences: string[];
}

/** The reviewer workstation a pack's decisions came from, as its first imported decisions file named it. */
export interface PackReviewerStore {
  storeId: string;
  /** Full path of that first decisions file. */
  firstFile: string;
  recordedAt: string;
}

export interface PackStore {
  /** This store's stable id, named in every pack it writes. */
  storeId(): Promise<string>;
  get(packId: string): Promise<PackInfo | null>;
  list(): Promise<PackInfo[]>;
  manifestSha256(packId: string): Promise<string | null>;
  /** Content digest of a stored case; 'not_found' for an unknown id. */
  digestOf(caseId: string): Promise<string>;
  /** Cases for a pack: the ids given (in queue order), or every case the filter selects. */
  selectCases(selection: {
    caseIds?: string[];
    filter?: QueueFilter;
  }): Promise<Array<Pick<PackCase, 'id' | 'category'>>>;
  packCase(caseId: string): Promise<PackCase>;
  /** Records issued packs and their activity-log entries in one transaction. */
  recordIssued(packs: IssuedPack[], actor?: string): Promise<void>;
  /** Stores a received pack (cases, image rows, verdicts, the pack and its log entry); how many cases were new. */
  recordReceived(pack: ReceivedPack): Promise<{ newCases: number }>;
  /** Reviewer side: every decision and undo made here on the pack's cases since it was received, oldest first. */
  decisionsSince(packId: string): Promise<ExportedDecision[]>;
  /** Lead side: a verified decisions file's new entries, one transaction (see store/sqlite/packs.ts). */
  importDecisions(
    body: DecisionsFileBody,
    checksum: string,
    file: string,
    actor?: string,
  ): Promise<DecisionsImportSummary>;
  /**
   * Lead side, before `importDecisions`: the file's entries already stored under their (pack, origin id) with other
   * content, so that a changed decision is refused and named instead of being skipped as already present.
   */
  decisionConflicts(body: DecisionsFileBody): Promise<DecisionConflict[]>;
  /** Lead side: the reviewer workstation the pack's decisions came from so far, or null before the first file. */
  reviewerStore(packId: string): Promise<PackReviewerStore | null>;
  /** Records the pack's reviewer workstation from its first decisions file; later calls for the pack change nothing. */
  recordReviewerStore(packId: string, reviewerStoreId: string, file: string): Promise<void>;
  /** Teammates' public keys this workspace trusts for packs and decisions files, by name. */
  trustedKeys(): Promise<TrustedKey[]>;
  /**
   * Enrols a teammate's public key under a name, with its activity-log entry. The same key and name again adds
   * nothing; a key already enrolled under another name, or a name enrolled with another key, is a 'conflict'.
   */
  trustKey(
    key: Pick<TrustedKey, 'name' | 'publicKey' | 'fingerprint'>,
    actor?: string,
  ): Promise<{ key: TrustedKey; added: boolean }>;
}

// ---------------------------------------------------------------------------------------------------------------
// Settings, metrics, team statistics

export interface SettingsStore {
  all(): Promise<Record<string, unknown>>;
  setMany(values: Record<string, unknown>): Promise<void>;
}

export interface MetricsReader {
  stats(): Promise<Stats>;
  metrics(query?: MetricsQuery): Promise<Metrics>;
  fidelity(query?: MetricsQuery): Promise<FidelityMetrics>;
  teamAgreement(): Promise<TeamAgreementReport>;
}

// ---------------------------------------------------------------------------------------------------------------
// Images (content-addressed, sha256 → bytes)

export interface ImageStore {
  /** Stores the bytes durably under their sha256 before any case refers to them; returns the hash. */
  put(bytes: Uint8Array): Promise<string>;
  info(sha256: string): Promise<ImageRef | null>;
  /** The image for display; null when it is unknown or unreadable. */
  read(sha256: string): Promise<{ bytes: Buffer; mime: string } | null>;
  /**
   * Bytes a case refers to, for auditing or export: StoreError 'image_unavailable' when gone or altered.
   * `verify: 'always'` re-hashes (export); otherwise only a suspicious file is hashed.
   */
  readChecked(sha256: string, verify?: 'always' | 'if-suspicious'): Promise<{ bytes: Buffer; mime: string }>;
  /** A local file holding the image (the data folder, or a team client's cache), for formats that name a path. */
  localPath(sha256: string): string;
}

// ---------------------------------------------------------------------------------------------------------------
// Bulk import

/** A validated case ready to store (importers produce these). */
export interface NewCase extends CaseContent {
  gold: RiskLevel | null;
  sourceFile: string;
  sourceRecord: number;
  meta: Record<string, unknown>;
}

/** The reference script's output for a case, parsed by the app's verdict parser, stored beside the case. */
export interface ReferenceVerdictInput {
  caseId: string;
  rawOutput: string;
  verdict: ParsedVerdict;
  provenance: Record<string, unknown>;
}

export interface ImportBatchItem {
  newCase: NewCase;
  image?: ImageRef;
  referenceVerdict?: ReferenceVerdictInput;
  /**
   * The case `newCase.id` is already in the store (a reference result found by its content): nothing of the case
   * is written, only its reference verdict; the item counts as a duplicate and as `reference.matchedExisting`.
   * A 'not_found' StoreError (and nothing of the batch stored) when that case is not there.
   */
  existingCase?: boolean;
}

/** One committed batch: cases, their full-text entries, images, reference verdicts, totals and one log entry. */
export interface ImportBatch {
  file: string;
  format: ImportFormat;
  actor: string;
  items: ImportBatchItem[];
  /** Records rejected in this batch (counted in the run's totals and the log entry). */
  rejected: number;
  /** Of those, reference-script outputs that were errors (guardtrace-results imports; for the log entry). */
  referenceScriptErrors?: number;
  /** First and last record number of the batch, for the log entry. */
  records: [number, number] | [];
  /** The run's totals before this batch: the stored row says what an interrupted import committed. */
  totalsBefore: { imported: number; duplicates: number; rejected: number };
}

export interface ImportBatchResult {
  imported: number;
  duplicates: number;
  imagesMissing: number;
  reference: { verdicts: number; alreadyPresent: number; parseFailures: number; matchedExisting: number };
}

/**
 * One import run. The engine chooses its own bulk settings (SQLite: a longer WAL autocheckpoint on this
 * connection and one FTS statement per batch; PostgreSQL: COPY) and undoes them in `finish`.
 */
export interface BulkImportSession {
  writeBatch(batch: ImportBatch): Promise<ImportBatchResult>;
  /** Flushes what the run left pending (SQLite: a passive WAL checkpoint). Call also after a failure. */
  finish(): Promise<void>;
}

export interface BulkImporter {
  /**
   * Starts an import run. `letWritersIn` is what `writerSignal()` returned on the thread that started the run:
   * before each batch the run waits (bounded) for the writers it announces, so a decision goes first.
   */
  begin(options?: { letWritersIn?: SharedArrayBuffer }): Promise<BulkImportSession>;
  /**
   * A shared counter of this thread's writers waiting for the engine's single write lock, for an import run on
   * another thread; null when the engine has no such lock (PostgreSQL).
   */
  writerSignal(): SharedArrayBuffer | null;
}

// ---------------------------------------------------------------------------------------------------------------
// Export paging

/** One case with its latest verdict and the decision in force, flat, as the exporters read it (JSON as text). */
export interface ExportRecord {
  seq: number;
  id: string;
  query: string;
  thinking: string;
  response: string;
  image_sha256: string | null;
  image_ref: string | null;
  image_missing: number;
  gold: number | null;
  source_file: string;
  source_record: number;
  /** JSON text. */
  meta: string;
  created_at: string;
  image_mime: string | null;
  image_width: number | null;
  image_height: number | null;
  image_bytes: number | null;
  model_status: AuditStatus | null;
  model_risk: number | null;
  model_category: string | null;
  model_analysis: string | null;
  model_raw: string | null;
  model_parse_error: string | null;
  model_id: string | null;
  model_engine: string | null;
  model_prompt_sha256: string | null;
  model_prompt_hash_ok: number | null;
  model_at: string | null;
  model_profile_id: string | null;
  /** JSON text as stored (object keyed by level), or null. */
  model_level_probs: string | null;
  model_level_probs_note: string | null;
  /** JSON text as stored, or null for verdicts made before provenance was recorded. */
  model_provenance: string | null;
  human_risk: number | null;
  human_category: string | null;
  human_analysis: string | null;
  human_note: string | null;
  human_reviewer: string | null;
  human_source: string | null;
  human_at: string | null;
  human_analysis_source: AnalysisSource | null;
  human_basis: DecisionBasis | null;
}

export interface ExportReader {
  /** Pages through the selection (the queue filter of the same name) in seq order, a few thousand at a time. */
  forEachPage(only: ExportSelection, onPage: (rows: ExportRecord[]) => void | Promise<void>): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// Backup

export interface BackupSummary {
  out: string;
  bytes: number;
  ms: number;
}

export interface BackupStore {
  /** A consistent copy at `out`, taken while others write. A team engine refuses: IT backs up with pg_dump. */
  backup(out: string): Promise<BackupSummary>;
  /** Today's backup in <dataDir>/backups unless there is one; keeps the newest `keep`. Null when nothing was due. */
  daily(keep?: number): Promise<BackupSummary | null>;
}

// ---------------------------------------------------------------------------------------------------------------
// Quality: gold cases and the moderator's exposure (docs/quality.md)

/** A gold answer as a caller sends it: the actor is optional (see the identity rule at the top). */
export type GoldRequest = Omit<GoldSetInput, 'actor'> & { actor?: string };

/**
 * Gold cases, the lead's known answers. Kept apart from the case: nothing a reviewer's screen reads (cases.list,
 * cases.get, packs) carries the mark. Each change is one transaction with its activity-log entry.
 */
export interface GoldStore {
  /** Sets or changes a case's gold answer; 'not_found' for an unknown case, 'invalid' for an answer it lacks. */
  set(input: GoldRequest): Promise<GoldCase>;
  /** Removes the gold mark; false when the case had none. */
  unset(caseId: string, actor?: string): Promise<boolean>;
  get(caseId: string): Promise<GoldCase | null>;
  list(): Promise<GoldCase[]>;
  count(): Promise<number>;
  /** Each reviewer's and the model's score against gold (the lead's view); demo verdicts are no model's. */
  report(rate: number): Promise<GoldReport>;
}

/** An exposure a moderator has had: an image revealed (counted once per case per session) or a case judged harmful. */
export type ExposureEvent = 'image_revealed' | 'harmful_judged';

/** What a moderator was shown and their breaks, on this workstation only; times are ISO strings (default now). */
export interface ExposureLog {
  record(moderator: string, kind: ExposureEvent, caseId: string, at?: string): Promise<void>;
  startBreak(moderator: string, at?: string): Promise<void>;
  /** Ends a break; 'conflict' until it has lasted the limits' minimum, 'invalid' when none was started. */
  endBreak(moderator: string, limits: ExposureLimits, at?: string): Promise<void>;
  status(moderator: string, limits: ExposureLimits, at?: string): Promise<ExposureStatus>;
}

// ---------------------------------------------------------------------------------------------------------------
// Step localization (docs/step-localization.md): prefix searches, their probes, the moderator's step marks

/** What a search is run with: the case's steps and the loaded engine's identity. */
export interface StepSearchSpec {
  caseId: string;
  stepCount: number;
  segmenterVersion: number;
  traceSha256: string;
  engine: string;
  modelId: string;
  modelSha256: string | null;
  mmprojSha256: string | null;
  promptSha256: string;
  profileId: string;
}

/** A probe as the locator stores it (its raw output kept for audit, never shown as a verdict). */
export type NewStepProbe = Omit<StepProbe, 'createdAt'> & { rawOutput: string };

/** A step mark as a caller sends it: 'step' names the step, 'none' says there is no single step. */
export interface StepMarkRequest {
  caseId: string;
  kind: 'step' | 'none';
  stepIndex: number | null;
  stepOffset: number | null;
  /** sha256 of the trace the step was marked on, and how many steps it was cut into (for the log entry). */
  traceSha256: string;
  stepCount: number;
  reviewer?: string;
}

/**
 * Step searches are jobs of their own kind with the audit queue's rules (lease owner, heartbeat, orphans put back);
 * probes are stored once per (search, cut); marks are append-only (an undo is a new mark). Probes are not verdicts:
 * nothing here touches a case's verdict.
 */
export interface StepSearchStore {
  /**
   * Queues a search for the case with this model and prompt unless one is finished, queued or running; a failed or
   * cancelled one is queued again with its probes, one on another trace or segmenter version starts over.
   * StoreError 'conflict' when it is running in another process.
   */
  enqueue(spec: StepSearchSpec): Promise<{ id: number; queued: boolean }>;
  /** Claims a queued search under this store's lease: the one given, or the oldest for this model and prompt. */
  claim(modelId: string, promptSha256: string, searchId?: number): Promise<StepSearchRecord | null>;
  /**
   * One transaction: the probe (a second one for the same cut changes nothing; false then) and, when the engine
   * reported them, the model files' hashes.
   */
  recordProbe(
    searchId: number,
    probe: NewStepProbe,
    modelHashes?: { modelSha256: string | null; mmprojSha256: string | null },
  ): Promise<boolean>;
  finish(searchId: number, status: StepSearchStatus, located: { step: number; offset: number } | null): Promise<void>;
  /** Ends the search failed with its error (counts an attempt). */
  fail(searchId: number, error: string): Promise<void>;
  /** Back to the queue without an attempt (paused, cancelled mid-probe, engine-wide error); its probes stay. */
  release(searchId: number): Promise<void>;
  cancelQueued(): Promise<number>;
  /** Renews the lease of every search this store is running; how many. */
  heartbeat(): Promise<number>;
  /** Puts back running searches whose lease holder is gone (JobQueue.requeueOrphaned's rules). */
  requeueOrphaned(options?: { staleMs?: number; isAlive?: (pid: number) => boolean }): Promise<number>;
  /** 'not_found' for an unknown id. */
  get(searchId: number): Promise<StepSearchRecord>;
  /** The case's most recently updated search (any model), or null. */
  latestForCase(caseId: string): Promise<StepSearchRecord | null>;
  /** Cases this model and prompt judged at least 0.5 with no finished or live search with them, oldest first. */
  flaggedWithoutSearch(modelId: string, promptSha256: string, limit: number): Promise<string[]>;
  counts(): Promise<LocatedCounts>;
  /** The case's step label: its latest mark that is not undone. */
  label(caseId: string): Promise<StepLabel | null>;
  /** Records a mark and its activity-log entry (steps.confirm / steps.clear) in one transaction; the mark's id. */
  mark(request: StepMarkRequest): Promise<number>;
  /** Undoes the reviewer's latest mark on the case not undone yet, logged (steps.undo); null when there is none. */
  undoLastMark(caseId: string, reviewer?: string): Promise<{ undoneId: number; undoId: number } | null>;
}

// ---------------------------------------------------------------------------------------------------------------
// Activity log (read; entries are written by the methods above, in their own transactions)

export type { ActivityLogEntry };

// ---------------------------------------------------------------------------------------------------------------
// Engine-neutral values callers may use: the error every engine throws, and the content hashes.

export { StoreError, type StoreErrorCode } from './errors';
export { caseDigest, sha256Hex } from './digests';
