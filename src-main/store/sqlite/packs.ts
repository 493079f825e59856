import path from 'node:path';
import { writeTransaction } from './write-transaction';
import { caseDigest } from '../digests';
import type { DecisionsFileBody, DecisionsImportSummary, ExportedDecision, PackInfo, PackManifest } from '@domain/team';
import type { RiskLevel, Category } from '@domain/types';
import type { DecisionResolver } from './adjudication';
import type { ActivityLog } from './activity-log';
import type { CaseRepository } from './cases';
import { nowIso } from './clock';
import { StoreError } from '../errors';
import type { Db } from './open-database';
import type { ReviewRow } from './rows';
import type { AuditRepository } from './audits';
import type { ImageStore } from './images';
import { whereClause } from './queue-query';
import type { QueueFilter } from '@domain/cases';
import type { IssuedPack, PackCase, ReceivedPack } from '../contract';

interface PackRow {
  id: string;
  role: 'issued' | 'received';
  source_store_id: string;
  reviewer: string;
  show_model: number;
  created_at: string;
  created_by: string;
  recorded_at: string;
  file_name: string;
  manifest_sha256: string;
}

/** Assignment packs this workstation issued (lead) or received (reviewer), and decisions imported from them. */
export class PackRepository {
  private readonly byIdStmt;
  private readonly insertPackStmt;
  private readonly insertPackCaseStmt;
  private readonly caseDigestsStmt;

  constructor(
    private readonly db: Db,
    private readonly cases: CaseRepository,
    private readonly resolver: DecisionResolver,
    private readonly log: ActivityLog,
  ) {
    this.byIdStmt = db.prepare<[string], PackRow>('SELECT * FROM packs WHERE id = ?');
    this.insertPackStmt = db.prepare(
      `INSERT INTO packs (id, role, source_store_id, reviewer, show_model, created_at, created_by, recorded_at, file_name, manifest_sha256)
       VALUES (@id, @role, @sourceStoreId, @reviewer, @showModel, @createdAt, @createdBy, @recordedAt, @fileName, @manifestSha256)`,
    );
    this.insertPackCaseStmt = db.prepare(
      'INSERT OR IGNORE INTO pack_cases (pack_id, case_id, case_digest) VALUES (?, ?, ?)',
    );
    this.caseDigestsStmt = db.prepare<[string], { case_id: string; case_digest: string }>(
      'SELECT case_id, case_digest FROM pack_cases WHERE pack_id = ? ORDER BY case_id',
    );
  }

  /** This data folder's stable id (created by migration 0007), named in every pack it writes. */
  storeId(): string {
    return this.db.prepare<[], string>("SELECT value FROM store_meta WHERE key = 'store_id'").pluck().get()!;
  }

  get(packId: string): PackInfo | null {
    const row = this.byIdStmt.get(packId);
    return row ? this.toInfo(row) : null;
  }

  manifestSha256(packId: string): string | null {
    return this.byIdStmt.get(packId)?.manifest_sha256 ?? null;
  }

  list(): PackInfo[] {
    return this.db
      .prepare<[], PackRow>('SELECT * FROM packs ORDER BY recorded_at DESC, id')
      .all()
      .map((row) => this.toInfo(row));
  }

  caseDigests(packId: string): Map<string, string> {
    return new Map(this.caseDigestsStmt.all(packId).map((row) => [row.case_id, row.case_digest]));
  }

  /** Content digest of a stored case, as packs and decisions files carry it. */
  digestOf(caseId: string): string {
    return caseDigest(this.cases.content(caseId));
  }

  /** Records a pack and its cases. Run inside the caller's transaction (the cases must exist). */
  record(manifest: PackManifest, role: 'issued' | 'received', fileName: string, manifestSha256: string): void {
    this.insertPackStmt.run({
      id: manifest.packId,
      role,
      sourceStoreId: manifest.sourceStoreId,
      reviewer: manifest.reviewer,
      showModel: manifest.showModelVerdict ? 1 : 0,
      createdAt: manifest.createdAt,
      createdBy: manifest.createdBy,
      recordedAt: nowIso(),
      fileName,
      manifestSha256,
    });
    for (const caseId of manifest.caseIds)
      this.insertPackCaseStmt.run(manifest.packId, caseId, manifest.caseDigests[caseId]);
  }

  /**
   * Reviewer side: every decision and undo made on this workstation on the pack's cases since the pack was
   * imported, oldest first.
   */
  decisionsSince(packId: string): ExportedDecision[] {
    const pack = this.byIdStmt.get(packId)!;
    const rows = this.db
      .prepare<[string, string], ReviewRow & { case_digest: string }>(
        `SELECT r.*, pc.case_digest FROM reviews r JOIN pack_cases pc ON pc.case_id = r.case_id AND pc.pack_id = ?
         WHERE r.kind IN ('decision', 'undo') AND r.created_at >= ? ORDER BY r.id`,
      )
      .all(packId, pack.recorded_at);
    const exported = new Set(rows.map((row) => row.id));
    return rows
      .filter((row) => row.kind === 'decision' || exported.has(row.undoes_review_id!))
      .map((row) => ({
        originId: row.id,
        kind: row.kind as 'decision' | 'undo',
        caseId: row.case_id,
        caseDigest: row.case_digest,
        risk: row.risk as RiskLevel | null,
        category: row.category as Category | null,
        analysis: row.analysis,
        note: row.note,
        localReviewer: row.reviewer,
        at: row.created_at,
        undoesOriginId: row.kind === 'undo' ? row.undoes_review_id : null,
      }));
  }

  /**
   * Lead side: stores a verified decisions file's entries as reviews by the pack's reviewer with the pack as
   * their source, each logged, in one transaction. Entries already imported (same pack and origin id) are
   * skipped, so importing the same file again, or a later export of the same pack, adds only what is new.
   * Throws (and rolls everything back) on the first entry that does not fit the pack.
   */
  importDecisions(body: DecisionsFileBody, checksum: string, file: string, actor: string): DecisionsImportSummary {
    return writeTransaction(this.db, () => {
      const pack = this.byIdStmt.get(body.packId);
      if (!pack || pack.role !== 'issued')
        throw new StoreError('conflict', `${file}: pack ${body.packId} was not issued by this workstation.`);
      const digests = this.caseDigests(pack.id);
      const existing = this.db.prepare<[string, number], { id: number }>(
        'SELECT id FROM reviews WHERE pack_id = ? AND origin_id = ?',
      );
      const insert = this.db.prepare(
        `INSERT INTO reviews (case_id, kind, risk, category, analysis, note, reviewer, source, undoes_review_id, created_at, pack_id, origin_id)
         VALUES (@caseId, @kind, @risk, @category, @analysis, @note, @reviewer, 'pack', @undoesReviewId, @createdAt, @packId, @originId)`,
      );
      let imported = 0;
      let alreadyPresent = 0;
      const touched = new Set<string>();
      body.decisions.forEach((entry, index) => {
        const where = `${file}: decision ${index + 1} (case "${entry.caseId}")`;
        const expectedDigest = digests.get(entry.caseId);
        if (expectedDigest === undefined)
          throw new StoreError(
            'conflict',
            `${where} is not one of pack ${pack.id}'s cases; the file does not match its pack.`,
          );
        if (expectedDigest !== entry.caseDigest)
          throw new StoreError(
            'conflict',
            `${where}: the case's content differs from the one sent in pack ${pack.id}.`,
          );
        if (existing.get(pack.id, entry.originId)) {
          alreadyPresent++;
          return;
        }
        let undoesReviewId: number | null = null;
        if (entry.kind === 'undo') {
          const target = existing.get(pack.id, entry.undoesOriginId!);
          if (!target)
            throw new StoreError(
              'conflict',
              `${where}: takes back decision ${entry.undoesOriginId}, which the file does not contain.`,
            );
          undoesReviewId = target.id;
        }
        const info = insert.run({
          caseId: entry.caseId,
          kind: entry.kind,
          risk: entry.kind === 'decision' ? entry.risk : null,
          category: entry.kind === 'decision' ? entry.category : null,
          analysis: entry.kind === 'decision' ? entry.analysis : null,
          note: entry.note,
          reviewer: pack.reviewer,
          undoesReviewId,
          createdAt: entry.at,
          packId: pack.id,
          originId: entry.originId,
        });
        imported++;
        touched.add(entry.caseId);
        this.log.append({
          actor: pack.reviewer,
          action: entry.kind === 'undo' ? 'review.import_undo' : 'review.import',
          caseId: entry.caseId,
          before: null,
          after: {
            reviewId: Number(info.lastInsertRowid),
            packId: pack.id,
            originId: entry.originId,
            localReviewer: entry.localReviewer,
            risk: entry.risk,
            category: entry.category,
            note: entry.note,
            at: entry.at,
            importedBy: actor,
          },
        });
      });
      for (const caseId of touched) this.resolver.refresh(caseId);
      this.db
        .prepare(
          `INSERT INTO decision_imports (pack_id, checksum, exported_at, imported_at, actor, imported) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (pack_id, checksum) DO NOTHING`,
        )
        .run(pack.id, checksum, body.exportedAt, nowIso(), actor, imported);
      const disputed = this.db
        .prepare<[string], number>(
          `SELECT count(*) FROM case_decisions d JOIN pack_cases pc ON pc.case_id = d.case_id AND pc.pack_id = ?
           WHERE d.basis = 'disputed'`,
        )
        .pluck()
        .get(pack.id)!;
      return { packId: pack.id, reviewer: pack.reviewer, file, imported, alreadyPresent, disputed };
    });
  }

  /** Cases for a pack: the ids given (in seq order, unknown ids refused by name), or every case the filter selects. */
  selectCases(selection: { caseIds?: string[]; filter?: QueueFilter }): Array<Pick<PackCase, 'id' | 'category'>> {
    const categoryOf = (row: { human_category: string | null; model_category: string | null }) =>
      row.human_category ?? row.model_category ?? 'none';
    if (selection.caseIds?.length) {
      return [...new Set(selection.caseIds)]
        .map((id) => {
          const row = this.cases.row(id);
          return { id, category: categoryOf(row), seq: row.seq };
        })
        .sort((a, b) => a.seq - b.seq)
        .map(({ id, category }) => ({ id, category }));
    }
    const where = whereClause(selection.filter ?? {}, { sets: 'lookup' });
    return this.db
      .prepare<unknown[], { id: string; human_category: string | null; model_category: string | null }>(
        `SELECT id, human_category, model_category FROM cases WHERE ${where.sql} ORDER BY seq`,
      )
      .all(...where.params)
      .map((row) => ({ id: row.id, category: categoryOf(row) }));
  }

  packCase(caseId: string): PackCase {
    const row = this.cases.row(caseId);
    const content = this.cases.content(caseId);
    return {
      ...content,
      meta: JSON.parse(row.meta) as Record<string, unknown>,
      digest: caseDigest(content),
      seq: row.seq,
      category: row.human_category ?? row.model_category ?? 'none',
    };
  }

  /** Records issued packs (once their files are complete) with one activity-log entry each, in one transaction. */
  recordIssued(packs: IssuedPack[], actor: string): void {
    writeTransaction(this.db, () => {
      for (const pack of packs) {
        this.record(pack.manifest, 'issued', path.basename(pack.file), pack.manifestSha256);
        this.log.append({
          actor,
          action: 'pack.create',
          after: {
            packId: pack.manifest.packId,
            reviewer: pack.manifest.reviewer,
            cases: pack.manifest.caseIds.length,
            showModelVerdict: pack.manifest.showModelVerdict,
            file: pack.file,
          },
        });
      }
    });
  }

  /** Reviewer side: a verified pack's cases, image rows, verdicts, the pack and its log entry, in one transaction. */
  recordReceived(pack: ReceivedPack, actor: string, images: ImageStore, audits: AuditRepository): { newCases: number } {
    return writeTransaction(this.db, () => {
      for (const image of pack.images) images.record(image);
      let newCases = 0;
      for (const newCase of pack.cases) if (this.cases.insert(newCase, null)) newCases++;
      for (const verdict of pack.verdicts) audits.insert(verdict.caseId, verdict.result);
      this.record(pack.manifest, 'received', pack.fileName, pack.manifestSha256);
      this.log.append({ actor, action: 'pack.import', after: { ...pack.logDetails, newCases } });
      return { newCases };
    });
  }

  private toInfo(row: PackRow): PackInfo {
    const decided =
      row.role === 'issued'
        ? this.db
            .prepare<[string], number>(
              `SELECT count(DISTINCT case_id) FROM reviews WHERE pack_id = ? AND kind = 'decision'`,
            )
            .pluck()
            .get(row.id)!
        : this.db
            .prepare<[string], number>(
              `SELECT count(*) FROM pack_cases pc JOIN cases c ON c.id = pc.case_id
               WHERE pc.pack_id = ? AND c.human_risk IS NOT NULL`,
            )
            .pluck()
            .get(row.id)!;
    return {
      packId: row.id,
      role: row.role,
      reviewer: row.reviewer,
      sourceStoreId: row.source_store_id,
      showModelVerdict: row.show_model === 1,
      cases: this.db
        .prepare<[string], number>('SELECT count(*) FROM pack_cases WHERE pack_id = ?')
        .pluck()
        .get(row.id)!,
      createdAt: row.created_at,
      recordedAt: row.recorded_at,
      decided,
    };
  }
}
