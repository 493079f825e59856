// Verdicts imported from the reference Python script's output (migration 0010), and how the app's own verdicts
// compare with them. The app never acts on these rows; they are what proves the app runs the published recipe.
import { createHash } from 'node:crypto';
import type { ReferenceAgreement } from '@domain/fidelity';
import type { ParsedVerdict } from '@domain/audits';
import { nowIso } from './clock';
import type { Db } from './open-database';
import { referenceAgreementFromPairs, type PairRow } from '../metrics/reference-agreement';

export interface ReferenceVerdictInput {
  caseId: string;
  rawOutput: string;
  verdict: ParsedVerdict;
  provenance: Record<string, unknown>;
  importBatch: number | null;
}

export class ReferenceVerdictRepository {
  private readonly insertStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO reference_verdicts (case_id, status, risk, category, analysis, parse_error, raw_output, output_sha256,
         provenance, import_batch, created_at)
       VALUES (@caseId, @status, @risk, @category, @analysis, @parseError, @rawOutput, @outputSha256, @provenance,
         @importBatch, @createdAt)
       ON CONFLICT (case_id, output_sha256) DO NOTHING`,
    );
  }

  /** Stores one reference verdict unless the case already has this exact output; returns whether it was new. */
  insert(input: ReferenceVerdictInput): boolean {
    const v = input.verdict;
    return (
      this.insertStmt.run({
        caseId: input.caseId,
        status: v.status,
        risk: v.status === 'ok' ? v.risk : null,
        category: v.category,
        analysis: v.analysis,
        parseError: v.status === 'parse_failure' ? v.error : null,
        rawOutput: input.rawOutput,
        outputSha256: createHash('sha256').update(input.rawOutput).digest('hex'),
        provenance: JSON.stringify(input.provenance),
        importBatch: input.importBatch,
        createdAt: nowIso(),
      }).changes === 1
    );
  }

  count(): number {
    return this.db.prepare<[], number>('SELECT count(*) FROM reference_verdicts').pluck().get()!;
  }

  /**
   * The app's latest verdict (the case row) against the latest reference verdict, on every case that has both.
   * `appCondition` narrows the app side (the recipe filter, SQL over alias c); null when no case has both.
   */
  agreement(appCondition = '1'): ReferenceAgreement | null {
    const rows = this.db
      .prepare<[], PairRow>(
        `SELECT c.id AS caseId, c.model_status AS appStatus, c.model_risk AS appRisk, r.status AS refStatus, r.risk AS refRisk
         FROM reference_verdicts r JOIN cases c ON c.id = r.case_id
         WHERE r.id = (SELECT max(id) FROM reference_verdicts WHERE case_id = r.case_id)
           AND c.model_status <> 'none' AND (${appCondition})
         ORDER BY c.seq`,
      )
      .all();
    return referenceAgreementFromPairs(rows);
  }
}
