// The one contract between the renderer and the core. The Electron main process registers `ApiHandlers`
// with ipcMain.handle, the preload exposes `GuardTraceApi` built from API_CHANNELS/API_EVENTS, and the CLI,
// the tests and the browser-test bridge call the same handler map directly.
import type { AuditProgress, AuditRecord, AuditStartRequest, AuditTokenEvent } from '@domain/audits';
import type { CaseDetail, QueueCounts, QueueFilter, QueuePage, QueueQuery } from '@domain/cases';
import type { EngineLoadRequest, EngineState, ModelFolderCheck } from '@domain/engine';
import type { ExportRequest, ExportSummary, ImportProgress, ImportRequest, ImportSummary } from '@domain/io';
import type { MetricsQuery } from '@domain/fidelity';
import type { ConvertProgress, ModelConvertRequest, ModelConvertResult } from '@domain/model-convert';
import type { Metrics, Stats } from '@domain/metrics';
import type { ReviewInput, ReviewRecord } from '@domain/reviews';
import type { SampleWorkspaceSummary } from '@domain/demo';
import type { ExposureStatus } from '@domain/exposure';
import type { GoldCase, GoldReport, GoldSetInput } from '@domain/gold';
import type { PracticeCreateSummary, PracticeFeedback, PracticeSummary } from '@domain/practice';
import type { Settings } from '@domain/settings';
import type { RiskLevel } from '@domain/types';
import type { CaseSteps, LocatedCounts, StepMarkInput } from '@domain/step-localization';
import type { MenuCommand } from '@domain/shortcuts';
import type {
  AdjudicationInput,
  AdjudicationView,
  DecisionsExportSummary,
  DecisionsImportSummary,
  PackCreateRequest,
  PackCreateSummary,
  PackImportSummary,
  PackInfo,
  TeamAgreementReport,
} from '@domain/team';

// The records themselves live in src-main/domain/ (one file per subject); this file only names the channels.

// ---------- the channel map ----------

/** Every request channel: [argument, result]. */
export interface ApiContract {
  'cases.list': [QueueQuery, QueuePage];
  'cases.counts': [QueueFilter, QueueCounts];
  'cases.get': [{ id: string }, CaseDetail];
  'cases.neighbors': [QueueQuery & { id: string }, { prev: string | null; next: string | null }];
  /** Blind review: the whole case, verdict and gold included, once the reviewer has made a first choice on it. */
  'cases.reveal': [{ id: string; choice: RiskLevel }, CaseDetail];
  /**
   * No reviewer: the workspace's (Settings → Reviewer), or on a team database the login, which records it; a name
   * given on a team database must be that login.
   */
  'reviews.submit': [Omit<ReviewInput, 'reviewer'> & { reviewer?: string }, ReviewRecord];
  'reviews.undoLast': [{ reviewer: string }, ReviewRecord | null];
  'reviews.bulkAccept': [{ caseIds: string[]; reviewer: string }, { accepted: number; skipped: number }];
  'import.run': [ImportRequest, ImportSummary];
  'export.run': [ExportRequest, ExportSummary];
  'stats.get': [void, Stats & { located: LocatedCounts }];
  'metrics.get': [MetricsQuery | void, Metrics];
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
  // ---- team review (docs/team-review.md) ----
  'packs.create': [PackCreateRequest, PackCreateSummary];
  'packs.import': [{ file: string }, PackImportSummary];
  'packs.list': [void, PackInfo[]];
  'decisions.export': [{ pack: string; out: string }, DecisionsExportSummary];
  'decisions.import': [{ file: string }, DecisionsImportSummary];
  'adjudication.get': [{ caseId: string }, AdjudicationView];
  'adjudication.submit': [AdjudicationInput, ReviewRecord];
  /** Reviewer agreement (Metrics screen; `guardtrace stats --json` adds it to the stats). Not in stats.get, which
   *  the status bar polls: this one reads every decision. */
  'team.agreement': [void, TeamAgreementReport];
  // ---- quality and first run (docs/quality.md) ----
  /** Adds the sample workspace (synthetic cases, demo verdicts written by hand) to this data folder; re-running adds nothing. */
  'demo.create': [void, SampleWorkspaceSummary];
  /** Gold cases (the lead's): never read by the review screen; nothing a reviewer's screen reads carries them. */
  'gold.set': [Omit<GoldSetInput, 'actor'>, GoldCase];
  'gold.unset': [{ caseId: string }, { removed: boolean }];
  'gold.list': [void, GoldCase[]];
  'gold.report': [void, GoldReport];
  /** The moderator's exposure (Settings.reviewer), on this workstation only. */
  'exposure.status': [void, ExposureStatus];
  'exposure.imageRevealed': [{ caseId: string }, ExposureStatus];
  'exposure.startBreak': [void, ExposureStatus];
  'exposure.endBreak': [void, ExposureStatus];
  /** A practice workspace made of this workspace's gold cases, in a new folder. */
  'practice.create': [{ out: string }, PracticeCreateSummary];
  /** In a practice workspace only: the gold answer, its explanation and the model's verdict for a decided case. */
  'practice.feedback': [{ caseId: string }, PracticeFeedback];
  'practice.summary': [void, PracticeSummary];
  // ---- step localization (docs/step-localization.md) ----
  /** The case's steps, its latest search, the analysis's span hints and the moderator's step label. */
  'steps.get': [{ caseId: string }, CaseSteps];
  /** Runs (or resumes) the prefix search for the case with the loaded model; never changes its verdict. */
  'steps.locate': [{ caseId: string }, CaseSteps];
  /** Queues a search for every case the loaded model judged ≥ 0.5 that has none. */
  'steps.queueFlagged': [{ limit?: number }, { queued: number }];
  /** Works through the queued searches. */
  'steps.runQueued': [void, { finished: number; failed: number }];
  'steps.cancel': [void, { cancelled: number }];
  /** The moderator confirms a step as the first unsafe one, or clears it ("no single step"); logged, undoable. */
  'steps.mark': [StepMarkInput, CaseSteps];
  'steps.undoMark': [{ caseId: string; reviewer: string }, CaseSteps];
  // ---- model conversion (docs/model-setup.md) ----
  /** A Hugging Face Qwen2.5-VL folder → a model folder; progress on 'model.convertProgress'. One at a time. */
  'model.convert': [ModelConvertRequest, ModelConvertResult];
  /** Cancels the running conversion (its partial folder is removed); false when none runs. */
  'model.cancelConvert': [void, { cancelled: boolean }];
}

/** Every event pushed from the core to the renderer. */
export interface ApiEvents {
  'audit.progress': AuditProgress;
  'audit.token': AuditTokenEvent;
  'audit.verdict': { caseId: string; audit: AuditRecord };
  'engine.state': EngineState;
  'import.progress': ImportProgress;
  'cases.changed': { caseIds: string[] | 'all' };
  'exposure.changed': ExposureStatus;
  'model.convertProgress': ConvertProgress;
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
  'cases.reveal',
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
  'packs.create',
  'packs.import',
  'packs.list',
  'decisions.export',
  'decisions.import',
  'adjudication.get',
  'adjudication.submit',
  'team.agreement',
  'demo.create',
  'gold.set',
  'gold.unset',
  'gold.list',
  'gold.report',
  'exposure.status',
  'exposure.imageRevealed',
  'exposure.startBreak',
  'exposure.endBreak',
  'practice.create',
  'practice.feedback',
  'practice.summary',
  'steps.get',
  'steps.locate',
  'steps.queueFlagged',
  'steps.runQueued',
  'steps.cancel',
  'steps.mark',
  'steps.undoMark',
  'model.convert',
  'model.cancelConvert',
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
  'exposure.changed',
  'model.convertProgress',
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
    purpose: 'import' | 'export' | 'modelDir' | 'imagesDir' | 'packDir' | 'packFile' | 'decisionsFile' | 'llamaServer';
    defaultName?: string;
  }): Promise<string | null>;
  platform: string;
  /** Absolute path of a file dropped on the window (Electron webUtils.getPathForFile); null where unknown. */
  pathForFile?(file: File): string | null;
  /** Commands from the native application menu (e.g. 'import', 'export', 'view.metrics'). */
  onMenuCommand?(listener: (command: MenuCommand) => void): () => void;
}
