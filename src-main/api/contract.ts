// The one contract between the renderer and the core. The Electron main process registers `ApiHandlers`
// with ipcMain.handle, the preload exposes `GuardTraceApi` built from API_CHANNELS/API_EVENTS, and the CLI,
// the tests and the browser-test bridge call the same handler map directly.
import type { Category, RiskLevel } from '../domain/types';
import type { EngineInfo, EngineKind } from '../engine/engine';

// ---------- cases & queue ----------

export type CaseStatusFilter =
  | 'all'
  | 'not_audited'
  | 'audited'
  | 'reviewed'
  | 'unreviewed'
  | 'disagree' // model and human disagree
  | 'parse_failure';

export type QueueSort = 'model_risk' | 'uncertainty' | 'newest';

export interface QueueFilter {
  status?: CaseStatusFilter;
  modelRisk?: RiskLevel;
  humanRisk?: RiskLevel;
  gold?: RiskLevel;
  /** Matches the model's category or the human's category. */
  category?: Category;
  /** FTS5 search over query, thinking and response (plain words; quoted by the store). */
  search?: string;
}

export interface QueueQuery extends QueueFilter {
  sort?: QueueSort;
  offset?: number;
  limit?: number;
}

export interface CaseSummary {
  id: string;
  seq: number;
  queryPreview: string;
  hasImage: boolean;
  imageMissing: boolean;
  gold: RiskLevel | null;
  modelStatus: 'none' | 'ok' | 'parse_failure';
  modelRisk: RiskLevel | null;
  modelCategory: Category | null;
  humanRisk: RiskLevel | null;
  humanCategory: Category | null;
  reviewedBy: string | null;
  createdAt: string;
}

export interface QueuePage {
  total: number;
  offset: number;
  rows: CaseSummary[];
}

export type FilterCounts = Record<Exclude<CaseStatusFilter, never>, number>;

export interface ImageRef {
  sha256: string;
  mime: string;
  width: number;
  height: number;
  bytes: number;
}

export interface AuditRecord {
  id: number;
  caseId: string;
  engine: EngineKind;
  modelId: string;
  promptSha256: string;
  promptHashOk: boolean;
  status: 'ok' | 'parse_failure';
  risk: RiskLevel | null;
  category: Category | null;
  analysis: string | null;
  parseError: string | null;
  rawOutput: string;
  imageMissing: boolean;
  strictFormat: boolean;
  promptTokens: number;
  cachedPromptTokens: number;
  generatedTokens: number;
  promptMs: number;
  generateMs: number;
  totalMs: number;
  createdAt: string;
}

export type ReviewSource = 'manual' | 'accept_model' | 'bulk_accept' | 'cli';

export interface ReviewRecord {
  id: number;
  caseId: string;
  kind: 'decision' | 'undo';
  risk: RiskLevel | null;
  category: Category | null;
  analysis: string | null;
  note: string | null;
  reviewer: string;
  source: ReviewSource;
  undoesReviewId: number | null;
  createdAt: string;
}

export interface AuditLogEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  caseId: string | null;
  before: unknown;
  after: unknown;
}

export interface CaseDetail {
  id: string;
  seq: number;
  query: string;
  thinking: string;
  response: string;
  image: ImageRef | null;
  /** The source named an image (imageRef) that could not be found or decoded. */
  imageMissing: boolean;
  imageRef: string | null;
  gold: RiskLevel | null;
  sourceFile: string;
  sourceRecord: number;
  meta: Record<string, unknown>;
  createdAt: string;
  latestAudit: AuditRecord | null;
  /** The decision in force (latest decision not undone), if any. */
  currentReview: ReviewRecord | null;
  history: AuditLogEntry[];
}

export interface ReviewInput {
  caseId: string;
  risk: RiskLevel;
  category?: Category | null;
  analysis?: string | null;
  note?: string | null;
  reviewer: string;
  source?: ReviewSource;
}

// ---------- import / export ----------

export type ImportFormat = 'guardtrace' | 'jsonl' | 'csv';

export interface ImportRequest {
  file: string;
  format?: ImportFormat;
  imagesDir?: string;
  actor?: string;
}

export interface RecordError {
  file: string;
  /** Line number (JSONL/CSV) or array index + 1 (GuardTrace JSON). */
  record: number;
  field: string | null;
  reason: string;
}

export interface ImportSummary {
  file: string;
  format: ImportFormat;
  total: number;
  imported: number;
  duplicates: number;
  rejected: number;
  imagesMissing: number;
  errors: RecordError[];
  ms: number;
}

export interface ImportProgress {
  file: string;
  processed: number;
  total: number;
}

export type ExportFormat = 'jsonl' | 'csv' | 'sft' | 'dpo';
export type ExportSelection = 'reviewed' | 'all' | 'disagreements';

export interface ExportRequest {
  format: ExportFormat;
  out: string;
  only?: ExportSelection;
  withImages?: boolean;
  /** System prompt file for `sft`/`dpo`; defaults to the loaded model folder's prompt. */
  promptFile?: string;
}

export interface ExportSummary {
  out: string;
  format: ExportFormat;
  written: number;
  /** Cases left out, with why (e.g. no human analysis for sft). */
  skipped: number;
  skippedReasons: Record<string, number>;
  images: number;
  ms: number;
}

// ---------- stats & metrics ----------

export interface Stats {
  cases: number;
  images: number;
  audits: number;
  audited: number;
  reviewed: number;
  parseFailures: number;
  jobs: { queued: number; running: number; done: number; failed: number };
  /** Model vs gold on cases that have both (null when none). */
  modelVsGold: { compared: number; agreement: number } | null;
}

export interface BinaryScores {
  n: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface Comparison {
  /** rows: reference (human or gold) 0/0.5/1, columns: model 0/0.5/1. */
  confusion: number[][];
  n: number;
  agreement: number;
  /** 0.5 and 1 count as harmful (the GuardTrace paper's binary scores). */
  binary: BinaryScores;
}

export interface Metrics {
  modelVsHuman: Comparison;
  modelVsGold: Comparison;
  perCategory: Array<{ category: Category | 'none'; n: number; agreement: number }>;
  parseFailures: number;
}

// ---------- engine & audit runner ----------

export interface ModelFolderCheck {
  ok: boolean;
  modelPath: string | null;
  mmprojPath: string | null;
  promptPath: string | null;
  promptSha256: string | null;
  promptHashOk: boolean;
  errors: string[];
  warnings: string[];
}

export type EngineSelection = 'auto' | 'llama.node' | 'node-llama-cpp' | 'openai' | 'sidecar';

export interface EngineLoadRequest {
  modelDir?: string;
  engine?: EngineSelection;
  /** The user accepted a prompt whose sha256 differs from GuardTrace's; recorded with every verdict. */
  acceptPromptMismatch?: boolean;
  openai?: { baseUrl: string; model: string; apiKeyEnv?: string; allowInsecureRemote?: boolean };
  /** Cases decoded together: llama-server slots (-np) or requests in flight to a server (default Settings.parallelism). */
  parallel?: number;
}

export type EngineState =
  | { state: 'unloaded' }
  | { state: 'loading'; modelDir: string }
  | { state: 'loaded'; info: EngineInfo }
  | { state: 'error'; message: string };

export interface AuditStartRequest {
  /** Cases to audit; omitted = every case without a verdict for the loaded model and prompt. */
  caseIds?: string[];
  limit?: number;
  parallel?: number;
  strictFormat?: boolean;
  maxNewTokens?: number;
}

export interface AuditProgress {
  state: 'idle' | 'running' | 'paused' | 'cancelling' | 'done';
  done: number;
  failed: number;
  total: number;
  casesPerMinute: number;
  etaSeconds: number | null;
  currentCaseId: string | null;
  lastError: string | null;
  /** Every case being generated now (up to the engine's slots). */
  inFlightCaseIds?: string[];
  /** The case the moderator has open, audited before the queue (audit.prioritize); null when none. */
  priorityCaseId?: string | null;
}

export interface AuditTokenEvent {
  caseId: string;
  text: string;
}

// ---------- settings ----------

export interface Settings {
  reviewer: string;
  blurImages: boolean;
  grayscaleImages: boolean;
  theme: 'system' | 'dark' | 'light';
  maxPixels: number;
  parallelism: number;
  strictFormat: boolean;
  modelDir: string | null;
  /** Which engine to use; 'auto' picks GPU in-process, else the llama-server sidecar, else the prebuilt in-process build. */
  engine: EngineSelection;
  /** A llama-server binary the user chose (own build or llama.cpp release); null = look in the build cache. */
  llamaServerPath: string | null;
  /** OpenAI-compatible server (vLLM, llama-server). The API key is never stored here (see 'secrets.setApiKey'). */
  openai: { baseUrl: string; model: string; allowInsecureRemote: boolean } | null;
}

// ---------- the channel map ----------

/** Every request channel: [argument, result]. */
export interface ApiContract {
  'cases.list': [QueueQuery, QueuePage];
  'cases.counts': [QueueFilter, FilterCounts];
  'cases.get': [{ id: string }, CaseDetail];
  'cases.neighbors': [QueueQuery & { id: string }, { prev: string | null; next: string | null }];
  'reviews.submit': [ReviewInput, ReviewRecord];
  'reviews.undoLast': [{ reviewer: string }, ReviewRecord | null];
  'reviews.bulkAccept': [{ caseIds: string[]; reviewer: string }, { accepted: number; skipped: number }];
  'import.run': [ImportRequest, ImportSummary];
  'export.run': [ExportRequest, ExportSummary];
  'stats.get': [void, Stats];
  'metrics.get': [void, Metrics];
  'engine.check': [{ modelDir: string }, ModelFolderCheck];
  'engine.load': [EngineLoadRequest, EngineState];
  'engine.unload': [void, EngineState];
  'engine.state': [void, EngineState];
  'audit.start': [AuditStartRequest, AuditProgress];
  'audit.pause': [void, AuditProgress];
  'audit.resume': [void, AuditProgress];
  'audit.cancel': [void, AuditProgress];
  'audit.status': [void, AuditProgress];
  /** Audit this case next (the moderator opened it): jumps the queue, starts alone when no batch runs; null clears. */
  'audit.prioritize': [{ caseId: string | null }, AuditProgress];
  'settings.get': [void, Settings];
  'settings.set': [Partial<Settings>, Settings];
  /** Stores the OpenAI-compatible server's API key with the platform's secret storage (Electron safeStorage). */
  'secrets.setApiKey': [{ apiKey: string | null }, { stored: boolean; encrypted: boolean }];
}

/** Every event pushed from the core to the renderer. */
export interface ApiEvents {
  'audit.progress': AuditProgress;
  'audit.token': AuditTokenEvent;
  'audit.verdict': { caseId: string; audit: AuditRecord };
  'engine.state': EngineState;
  'import.progress': ImportProgress;
  'cases.changed': { caseIds: string[] | 'all' };
}

export type Channel = keyof ApiContract;
export type EventName = keyof ApiEvents;
export type ArgOf<C extends Channel> = ApiContract[C][0];
export type ResultOf<C extends Channel> = ApiContract[C][1];

/** Runtime list of channels; `satisfies` keeps it in step with ApiContract in both directions. */
export const API_CHANNELS = [
  'cases.list',
  'cases.counts',
  'cases.get',
  'cases.neighbors',
  'reviews.submit',
  'reviews.undoLast',
  'reviews.bulkAccept',
  'import.run',
  'export.run',
  'stats.get',
  'metrics.get',
  'engine.check',
  'engine.load',
  'engine.unload',
  'engine.state',
  'audit.start',
  'audit.pause',
  'audit.resume',
  'audit.cancel',
  'audit.status',
  'audit.prioritize',
  'settings.get',
  'settings.set',
  'secrets.setApiKey',
] as const satisfies readonly Channel[];
type MissingChannel = Exclude<Channel, (typeof API_CHANNELS)[number]>;
const _allChannelsListed: MissingChannel extends never ? true : false = true;
void _allChannelsListed;

export const API_EVENTS = [
  'audit.progress',
  'audit.token',
  'audit.verdict',
  'engine.state',
  'import.progress',
  'cases.changed',
] as const satisfies readonly EventName[];
type MissingEvent = Exclude<EventName, (typeof API_EVENTS)[number]>;
const _allEventsListed: MissingEvent extends never ? true : false = true;
void _allEventsListed;

/** The handler map: one async function per channel. Implemented once in handlers.ts. */
export type ApiHandlers = {
  [C in Channel]: (arg: ArgOf<C>) => Promise<ResultOf<C>>;
};

/** Errors crossing the boundary keep a code and a readable message (Electron strips custom classes). */
export interface ApiErrorShape {
  code: string;
  message: string;
}

/** The object the preload exposes as `window.api` (and the browser-test bridge imitates). */
export interface GuardTraceApi {
  invoke<C extends Channel>(channel: C, arg: ArgOf<C>): Promise<ResultOf<C>>;
  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
  /** URL the renderer puts in <img src> for a content-addressed image. */
  imageUrl(sha256: string): string;
  /** Native file dialogs; the browser bridge answers them from the test. */
  pickFile(options: {
    purpose: 'import' | 'export' | 'modelDir' | 'imagesDir';
    defaultName?: string;
  }): Promise<string | null>;
  platform: string;
  /** Absolute path of a file dropped on the window (Electron webUtils.getPathForFile); null where unknown. */
  pathForFile?(file: File): string | null;
  /** Commands from the native application menu (e.g. 'import', 'export', 'view.metrics'). */
  onMenuCommand?(listener: (command: MenuCommand) => void): () => void;
}

/** Commands the native application menu sends to the renderer; the renderer also binds them to keys. */
export type MenuCommand =
  | 'import'
  | 'export'
  | 'modelDir'
  | 'view.review'
  | 'view.audit'
  | 'view.metrics'
  | 'view.data'
  | 'view.settings'
  | 'shortcuts'
  | 'undoLast'
  | 'focusSearch';
