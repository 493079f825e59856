import type { CaseDetail } from '../api/contract';
import { AuditLog } from './audit-log';
import { AuditRepository } from './audits';
import { CaseRepository } from './cases';
import { ImageStore } from './images';
import { JobRepository } from './jobs';
import { newJobOwner } from './process-owner';
import { MetricsReader } from './metrics';
import { openDatabase, type Db } from './open-database';
import { ReviewRepository } from './reviews';
import { SettingsRepository } from './settings';
import { nowIso } from './clock';
import { writeTransaction } from './write-transaction';

export { StoreError } from './errors';
export type { NewCase } from './cases';
export type { JobRow } from './jobs';

/** The case store: one SQLite database plus the content-addressed image folder, in one data directory. */
export class CaseStore {
  readonly cases: CaseRepository;
  readonly images: ImageStore;
  readonly audits: AuditRepository;
  readonly reviews: ReviewRepository;
  readonly jobs: JobRepository;
  readonly log: AuditLog;
  readonly settings: SettingsRepository;
  readonly metrics: MetricsReader;

  private constructor(
    readonly db: Db,
    readonly dataDir: string,
  ) {
    this.cases = new CaseRepository(db);
    this.images = new ImageStore(db, dataDir);
    this.audits = new AuditRepository(db);
    this.log = new AuditLog(db);
    this.reviews = new ReviewRepository(db, this.cases, this.audits, this.log);
    this.jobs = new JobRepository(db, newJobOwner());
    this.settings = new SettingsRepository(db);
    this.metrics = new MetricsReader(db, this.jobs);
  }

  static open(dataDir: string, options: { nativeBinding?: string; readOnly?: boolean } = {}): CaseStore {
    return new CaseStore(
      openDatabase(dataDir, { nativeBinding: options.nativeBinding, readOnly: options.readOnly }),
      dataDir,
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
      history: this.log.forCase(id),
    };
  }

  beginImportBatch(sourceFile: string, format: string, actor: string): number {
    return Number(
      this.db
        .prepare('INSERT INTO import_batches (source_file, format, actor, started_at) VALUES (?, ?, ?, ?)')
        .run(sourceFile, format, actor, nowIso()).lastInsertRowid,
    );
  }

  finishImportBatch(id: number, counts: { imported: number; duplicates: number; rejected: number }): void {
    this.db
      .prepare('UPDATE import_batches SET finished_at = ?, imported = ?, duplicates = ?, rejected = ? WHERE id = ?')
      .run(nowIso(), counts.imported, counts.duplicates, counts.rejected, id);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
