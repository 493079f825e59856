// The app's verdicts against the reference script's, from (app, reference) pairs: the same maths for both engines.
import type { ReferenceAgreement, ReferenceDifference } from '@domain/fidelity';
import { RISK_LEVELS, type RiskLevel } from '@domain/types';

/** The differing cases listed in full; the total is always exact. */
export const MAX_LISTED_DIFFERENCES = 500;

export interface PairRow {
  caseId: string;
  appStatus: string;
  appRisk: number | null;
  refStatus: string;
  refRisk: number | null;
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
