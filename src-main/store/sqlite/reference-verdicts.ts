// Verdicts imported from the reference Python script's output (migration 0010), and how the app's own verdicts
// compare with them. The app never acts on these rows; they are what proves the app runs the published recipe.
import { createHash } from 'node:crypto';
import type { ReferenceAgreement, ReferenceDifference } from '@domain/fidelity';
import { RISK_LEVELS, type RiskLevel } from '@domain/types';
import type { ParsedVerdict } from '@domain/audits';
import { nowIso } from './clock';
import type { Db } from './open-database';

/** The differing cases listed in full; the total is always exact. */
export const MAX_LISTED_DIFFERENCES = 500;

export interface ReferenceVerdictInput {
  caseId: string;
  rawOutput: string;
  verdict: ParsedVerdict;
  provenance: Record<string, unknown>;
  importBatch: number | null;
}

interface PairRow {
  caseId: string;
  appStatus: string;
  appRisk: number | null;
  refStatus: string;
  refRisk: number | null;
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

/** Pure: the 3x3 table, agreement and the differing cases from (app, reference) pairs. */
export function referenceAgreementFromPairs(rows: readonly PairRow[]): ReferenceAgreement | null {
  if (!rows.length) return null;
  const index = (risk: number) => RISK_LEVELS.indexOf(risk as RiskLevel);
  const confusion = RISK_LEVELS.map(() => RISK_LEVELS.map(() => 0));
  let compared = 0;
  let agree = 0;
  const parseFailures = { app: 0, reference: 0 };
  const differing: ReferenceDifference[] = [];
  let differingTotal = 0;
  for (const row of rows) {
    const app = row.appStatus === 'ok' && row.appRisk !== null ? (row.appRisk as RiskLevel) : null;
    const ref = row.refStatus === 'ok' && row.refRisk !== null ? (row.refRisk as RiskLevel) : null;
    if (app === null) parseFailures.app++;
    if (ref === null) parseFailures.reference++;
    if (app !== null && ref !== null) {
      compared++;
      confusion[index(ref)][index(app)]++;
      if (app === ref) {
        agree++;
        continue;
      }
    } else if (app === null && ref === null) {
      continue; // both without a verdict: they agree that there is none
    }
    differingTotal++;
    if (differing.length < MAX_LISTED_DIFFERENCES) {
      differing.push({
        caseId: row.caseId,
        app: app ?? (row.appStatus as ReferenceDifference['app']),
        reference: ref ?? 'parse_failure',
      });
    }
  }
  return {
    cases: rows.length,
    confusion,
    compared,
    agreement: compared ? agree / compared : 0,
    parseFailures,
    differing,
    differingTotal,
  };
}
