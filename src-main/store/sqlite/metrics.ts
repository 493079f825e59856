import type { FidelityMetrics, MetricsQuery, RecipeFilter } from '@domain/fidelity';
import type { Comparison, Metrics, Stats } from '@domain/metrics';
import { type Category, type RiskLevel } from '@domain/types';
import { comparisonFromCells } from '../metrics/comparison';
import { binaryF1ThreeWays, calibrate, verdictConfidence, type VerdictCell } from '../metrics/fidelity-metrics';
import type { JobRepository } from './jobs';
import type { Db } from './open-database';
import type { ReferenceVerdictRepository } from './reference-verdicts';
import { GUARDTRACE_LEVEL_SCHEME } from '@domain/levels';
import type { LevelSchemes } from './level-schemes';

/** Agreement figures computed in SQL over the denormalised case columns (one pass each). */
export class MetricsReader {
  constructor(
    private readonly db: Db,
    private readonly jobs: JobRepository,
    private readonly referenceVerdicts: ReferenceVerdictRepository,
    private readonly schemes?: LevelSchemes,
  ) {}

  stats(): Stats {
    const row = this.db
      .prepare<[], Record<string, number>>(
        // Grouped first, in the order of the covering cases_queue_state index: the sums then run once per
        // group (at most a few hundred) instead of once per case, which halves the time at 100k cases.
        `SELECT coalesce(sum(n), 0) AS cases,
                sum(CASE WHEN model_status <> 'none' THEN n ELSE 0 END) AS audited,
                sum(CASE WHEN human_risk IS NOT NULL THEN n ELSE 0 END) AS reviewed,
                sum(CASE WHEN model_status = 'parse_failure' THEN n ELSE 0 END) AS parseFailures,
                sum(CASE WHEN gold IS NOT NULL AND model_status = 'ok' THEN n ELSE 0 END) AS goldCompared,
                sum(CASE WHEN gold IS NOT NULL AND model_status = 'ok' AND gold = model_risk THEN n ELSE 0 END) AS goldAgree,
                (SELECT count(*) FROM images) AS images,
                (SELECT count(*) FROM audits) AS audits
         FROM (SELECT model_status, human_risk, model_risk, gold, count(*) AS n FROM cases
               GROUP BY model_status, human_risk, model_risk, gold)`,
      )
      .get()!;
    const jobs = this.jobs.counts();
    const compared = row.goldCompared ?? 0;
    return {
      cases: row.cases,
      images: row.images,
      audits: row.audits,
      audited: row.audited ?? 0,
      reviewed: row.reviewed ?? 0,
      parseFailures: row.parseFailures ?? 0,
      jobs: { queued: jobs.queued, running: jobs.running, done: jobs.done, failed: jobs.failed },
      modelVsGold: compared ? { compared, agreement: (row.goldAgree ?? 0) / compared } : null,
      referenceAgreement: this.referenceVerdicts.agreement(),
    };
  }

  metrics(query: MetricsQuery | void): Metrics {
    const categories = (this.schemes?.forStore() ?? GUARDTRACE_LEVEL_SCHEME).categories;
    const modelVsHuman = this.compare('human_risk');
    const modelVsGold = this.compare('gold');
    const perCategory = this.db
      .prepare<[], { category: string | null; n: number; agree: number }>(
        `SELECT coalesce(human_category, model_category) AS category, count(*) AS n, sum(human_risk = model_risk) AS agree
         FROM cases WHERE human_risk IS NOT NULL AND model_status = 'ok'
         GROUP BY 1`,
      )
      .all()
      .map((row) => ({
        category: (row.category && categories.includes(row.category) ? row.category : 'none') as Category | 'none',
        n: row.n,
        agreement: row.n ? row.agree / row.n : 0,
      }));
    const { parseFailures } = this.db
      .prepare<[], { parseFailures: number }>(
        "SELECT count(*) AS parseFailures FROM cases WHERE model_status = 'parse_failure'",
      )
      .get()!;
    return { modelVsHuman, modelVsGold, perCategory, parseFailures, fidelity: this.fidelity(query?.recipe ?? 'all') };
  }

  /** Scores that cannot flatter: F1 three ways, calibration of the confidence, the recipe filter (provenance). */
  fidelity(recipe: RecipeFilter = 'all'): FidelityMetrics {
    const recipeSql = recipeCondition(recipe);
    const cells = (reference: 'gold' | 'human_risk') =>
      this.db
        .prepare<[], VerdictCell>(
          `SELECT ${reference} AS ref, CASE WHEN model_status = 'ok' THEN model_risk END AS model, count(*) AS n
           FROM cases c WHERE ${reference} IS NOT NULL AND model_status <> 'none' AND (${recipeSql}) GROUP BY 1, 2`,
        )
        .all();
    let calibration: FidelityMetrics['calibration'] = null;
    let calibrationNote: string | null = null;
    {
      const rows = this.db
        .prepare<[], { model: RiskLevel; human: RiskLevel; probs: string | null }>(
          `SELECT c.model_risk AS model, c.human_risk AS human,
                  (SELECT a.level_probs FROM audits a WHERE a.case_id = c.id ORDER BY a.id DESC LIMIT 1) AS probs
           FROM cases c WHERE c.human_risk IS NOT NULL AND c.model_status = 'ok' AND (${recipeSql})`,
        )
        .all();
      const points = rows.flatMap((row) => {
        const confidence = verdictConfidence(row.probs, row.model);
        return confidence === null ? [] : [{ confidence, correct: row.model === row.human }];
      });
      const without = rows.length - points.length;
      if (points.length) calibration = calibrate(points);
      if (!rows.length) calibrationNote = 'No reviewed case has a model verdict yet.';
      else if (without)
        calibrationNote = `${without} of ${rows.length} reviewed verdict(s) have no confidence (their engine could not report one) and are left out.`;
    }
    return {
      recipe,
      vsGold: binaryF1ThreeWays(cells('gold')),
      vsHuman: binaryF1ThreeWays(cells('human_risk')),
      calibration,
      calibrationNote,
      reference: this.referenceVerdicts.agreement(recipeSql),
    };
  }

  private compare(reference: 'human_risk' | 'gold'): Comparison {
    const rows = this.db
      .prepare<[], { ref: number; model: number; n: number }>(
        `SELECT ${reference} AS ref, model_risk AS model, count(*) AS n FROM cases
         WHERE ${reference} IS NOT NULL AND model_status = 'ok' GROUP BY 1, 2`,
      )
      .all();
    return comparisonFromCells(rows, this.schemes?.forStore());
  }
}

/** SQL over alias c: whether the case's latest audit was made with the reference recipe (provenance.reference). */
function recipeCondition(recipe: RecipeFilter): string {
  if (recipe === 'all') return '1';
  const latestIsReference = `(SELECT json_extract(a.provenance, '$.reference') FROM audits a WHERE a.case_id = c.id ORDER BY a.id DESC LIMIT 1)`;
  return recipe === 'reference' ? `${latestIsReference} = 1` : `${latestIsReference} IS NOT 1`;
}
