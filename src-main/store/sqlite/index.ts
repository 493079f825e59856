import { PackConflictReader } from './pack-conflicts';
import { TrustedKeyRepository } from './trusted-keys';
import type { CaseDetail } from '@domain/cases';
import { ActivityLog } from './activity-log';
import { AdjudicationRepository, DecisionResolver } from './adjudication';
import { AuditFailureRepository } from './audit-failures';
import { AuditRepository } from './audits';
import { CaseRepository } from './cases';
import { ExportReader } from './export-reader';
import { ExposureRepository } from './exposure';
import { GoldRepository } from './gold';
import { ImageStore } from './images';
import { ImportBatchRepository } from './import-batches';
import { JobRepository } from './jobs';
import { newJobOwner } from './process-owner';
import { MetricsReader } from './metrics';
import { openDatabase, type Db } from './open-database';
import { ReferenceVerdictRepository } from './reference-verdicts';
import { CaseContentReader } from './case-content';
import { ReviewRepository } from './reviews';
import { SettingsRepository } from './settings';
import { StepSearchRepository } from './step-searches';
import { PackRepository } from './packs';
import { TeamStatsReader } from './team-stats';
import { writeTransaction } from './write-transaction';
import { LevelSchemes } from './level-schemes';
import type { LevelScheme } from '@domain/levels';

export { StoreError } from '../errors';
export type { NewCase } from './cases';

/** The case store: one SQLite database plus the content-addressed image folder, in one data directory. */
export class CaseStore {
  readonly cases: CaseRepository;
  readonly images: ImageStore;
  readonly audits: AuditRepository;
  readonly reviews: ReviewRepository;
  readonly jobs: JobRepository;
  readonly activityLog: ActivityLog;
  readonly settings: SettingsRepository;
  readonly metrics: MetricsReader;
  readonly importBatches: ImportBatchRepository;
  readonly exports: ExportReader;
  readonly referenceVerdicts: ReferenceVerdictRepository;
  readonly caseContent: CaseContentReader;
  readonly auditFailures: AuditFailureRepository;
  readonly decisions: DecisionResolver;
  readonly adjudication: AdjudicationRepository;
  readonly packs: PackRepository;
  /** Lead side: conflicting decisions and the reviewer workstation of each pack (issue 19). */
  readonly packConflicts: PackConflictReader;
  /** Teammates' public keys (migration 0016). */
  readonly trustedKeys: TrustedKeyRepository;
  readonly team: TeamStatsReader;
  readonly gold: GoldRepository;
  readonly exposure: ExposureRepository;
  readonly stepSearches: StepSearchRepository;
  /** The verdict vocabularies (levels, categories) of the guard-model profiles, as the opener gave them. */
  readonly schemes: LevelSchemes;

  private constructor(
    readonly db: Db,
    readonly dataDir: string,
    levelSchemes: readonly LevelScheme[] = [],
  ) {
    this.schemes = new LevelSchemes(db, levelSchemes);
    this.cases = new CaseRepository(db);
    this.images = new ImageStore(db, dataDir);
    this.audits = new AuditRepository(db);
    this.activityLog = new ActivityLog(db);
    this.decisions = new DecisionResolver(db, this.schemes);
    this.reviews = new ReviewRepository(db, this.cases, this.audits, this.activityLog, this.decisions, this.schemes);
    this.adjudication = new AdjudicationRepository(
      db,
      this.cases,
      this.audits,
      this.decisions,
      this.activityLog,
      this.schemes,
    );
    this.packs = new PackRepository(db, this.cases, this.decisions, this.activityLog);
    this.packConflicts = new PackConflictReader(db);
    this.trustedKeys = new TrustedKeyRepository(db, this.activityLog);
    this.team = new TeamStatsReader(db, this.decisions);
    this.jobs = new JobRepository(db, newJobOwner());
    this.stepSearches = new StepSearchRepository(db, this.jobs.owner);
    this.settings = new SettingsRepository(db);
    this.referenceVerdicts = new ReferenceVerdictRepository(db);
    this.caseContent = new CaseContentReader(db);
    this.metrics = new MetricsReader(db, this.jobs, this.referenceVerdicts, this.schemes);
    this.importBatches = new ImportBatchRepository(db);
    this.exports = new ExportReader(db);
    this.auditFailures = new AuditFailureRepository(db);
    this.gold = new GoldRepository(db, this.cases, this.activityLog);
    this.exposure = new ExposureRepository(db);
  }

  static open(
    dataDir: string,
    options: { nativeBinding?: string; readOnly?: boolean; levelSchemes?: readonly LevelScheme[] } = {},
  ): CaseStore {
    return new CaseStore(
      openDatabase(dataDir, { nativeBinding: options.nativeBinding, readOnly: options.readOnly }),
      dataDir,
      options.levelSchemes,
    );
  }

  /** One write transaction: BEGIN IMMEDIATE with a bounded retry while another process holds the lock. */
  transaction<T>(work: () => T): T {
    return writeTransaction(this.db, work);
  }

  caseDetail(id: string): CaseDetail {
    const { imageSha256, ...base } = this.cases.detailBase(id);
    return {
      ...base,
      image: imageSha256 ? this.images.info(imageSha256) : null,
      latestAudit: this.audits.latest(id),
      currentReview: this.reviews.current(id),
      history: this.activityLog.forCase(id),
      auditFailure: this.auditFailures.get(id),
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
