// Lead side, before a decisions file is stored: what is already stored under the same (pack, origin id), so an entry
// whose content differs is reported as a conflict instead of being skipped as "already present", and which reviewer
// workstation a pack's decisions came from (migration 0011), so the same pack decided on two machines is caught.
import type { DecisionsFileBody } from '@domain/team';
import type { DecisionConflict, PackReviewerStore } from '../contract';
import { nowIso } from './clock';
import type { Db } from './open-database';
import { writeTransaction } from './write-transaction';

type Entry = DecisionsFileBody['decisions'][number];

interface StoredRow {
  kind: string;
  case_id: string;
  risk: number | null;
  category: string | null;
  analysis: string | null;
  note: string | null;
  created_at: string;
  undoes_origin_id: number | null;
}

export class PackConflictReader {
  private readonly storedStmt;
  private readonly reviewerStoreStmt;

  constructor(private readonly db: Db) {
    this.storedStmt = db.prepare<[string, number], StoredRow>(
      `SELECT r.kind, r.case_id, r.risk, r.category, r.analysis, r.note, r.created_at, t.origin_id AS undoes_origin_id
       FROM reviews r LEFT JOIN reviews t ON t.id = r.undoes_review_id
       WHERE r.pack_id = ? AND r.origin_id = ?`,
    );
    this.reviewerStoreStmt = db.prepare<
      [string],
      { reviewer_store_id: string; first_file: string; recorded_at: string }
    >('SELECT reviewer_store_id, first_file, recorded_at FROM pack_reviewer_stores WHERE pack_id = ?');
  }

  /** Entries of `body` already stored under their (pack, origin id) with different content. */
  conflicts(body: DecisionsFileBody): DecisionConflict[] {
    const found: DecisionConflict[] = [];
    for (const entry of body.decisions) {
      const stored = this.storedStmt.get(body.packId, entry.originId);
      if (!stored) continue;
      const differences = differencesOf(stored, entry);
      if (differences.length) found.push({ originId: entry.originId, caseId: entry.caseId, differences });
    }
    return found;
  }

  /** The reviewer workstation the pack's decisions came from so far, if any were imported. */
  reviewerStore(packId: string): PackReviewerStore | null {
    const row = this.reviewerStoreStmt.get(packId);
    return row ? { storeId: row.reviewer_store_id, firstFile: row.first_file, recordedAt: row.recorded_at } : null;
  }

  /** Records the first reviewer workstation of a pack (later calls for the same pack change nothing). */
  recordReviewerStore(packId: string, storeId: string, file: string): void {
    writeTransaction(this.db, () =>
      this.db
        .prepare(
          `INSERT INTO pack_reviewer_stores (pack_id, reviewer_store_id, first_file, recorded_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (pack_id) DO NOTHING`,
        )
        .run(packId, storeId, file, nowIso()),
    );
  }
}

function differencesOf(stored: StoredRow, entry: Entry): string[] {
  const isDecision = entry.kind === 'decision';
  const pairs: Array<[string, unknown, unknown]> = [
    ['kind', stored.kind, entry.kind],
    ['caseId', stored.case_id, entry.caseId],
    ['risk', stored.risk, isDecision ? entry.risk : null],
    ['category', stored.category, isDecision ? entry.category : null],
    ['analysis', stored.analysis, isDecision ? entry.analysis : null],
    ['note', stored.note, entry.note],
    ['at', stored.created_at, entry.at],
    ['undoesOriginId', stored.undoes_origin_id, entry.undoesOriginId],
  ];
  return pairs
    .filter(([, a, b]) => a !== b)
    .map(([field, a, b]) => `${field}: ${JSON.stringify(a)} stored, ${JSON.stringify(b)} in the file`);
}
