// One row per import run: which file, by whom, when it finished and what it counted. Cases point at their batch.
import { nowIso } from './clock';
import type { Db } from './open-database';

export interface ImportBatchCounts {
  imported: number;
  duplicates: number;
  rejected: number;
}

export class ImportBatchRepository {
  private readonly beginStmt;
  private readonly finishStmt;

  constructor(db: Db) {
    this.beginStmt = db.prepare(
      'INSERT INTO import_batches (source_file, format, actor, started_at) VALUES (?, ?, ?, ?)',
    );
    this.finishStmt = db.prepare(
      'UPDATE import_batches SET finished_at = ?, imported = ?, duplicates = ?, rejected = ? WHERE id = ?',
    );
  }

  /** Opens a batch and returns its id. Run inside the transaction that writes the batch's first cases. */
  begin(sourceFile: string, format: string, actor: string): number {
    return Number(this.beginStmt.run(sourceFile, format, actor, nowIso()).lastInsertRowid);
  }

  /**
   * Records the running totals and stamps finished_at, in each chunk's transaction: a killed import's row still
   * says what it committed, and when its last chunk did.
   */
  recordTotals(id: number, counts: ImportBatchCounts): void {
    this.finishStmt.run(nowIso(), counts.imported, counts.duplicates, counts.rejected, id);
  }
}
