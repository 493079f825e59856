// Statistics, metrics, fidelity and reviewer agreement on the team database (the contract's MetricsReader): the rows
// the SQLite engine counts, counted here in SQL, and the same maths (store/metrics/). A lead's login reads every
// decision; row-level security narrows a reviewer's figures to their own decisions.
// test/store-postgres/metrics-equivalence.test.ts checks each figure against the SQLite engine's on one workload.
import type { FidelityMetrics, MetricsQuery, RecipeFilter } from '@domain/fidelity';
import { GUARDTRACE_LEVEL_SCHEME } from '@domain/levels';
import type { Comparison, Metrics, Stats } from '@domain/metrics';
import type { TeamAgreementReport } from '@domain/team';
import type { Category, RiskLevel } from '@domain/types';
import type pg from 'pg';
import type { JobQueue, MetricsReader } from '../contract';
import { comparisonFromCells } from '../metrics/comparison';
import { binaryF1ThreeWays, calibrate, verdictConfidence, type VerdictCell } from '../metrics/fidelity-metrics';
import { referenceAgreementFromPairs, type PairRow } from '../metrics/reference-agreement';
import { medianSecondsBetween, teamAgreementFrom, type LiveDecision } from '../metrics/team-agreement';

// The team database speaks GuardTrace-VL's levels until level schemes per profile reach it (docs/team.md).
const scheme = GUARDTRACE_LEVEL_SCHEME;

/** SQL over alias c: whether the case's latest audit was made with the reference recipe (provenance.reference). */
function recipeCondition(recipe: RecipeFilter): string {
  if (recipe === 'all') return 'true';
  const latestIsReference = `(SELECT (a.provenance ->> 'reference')::boolean FROM audits a WHERE a.case_id = c.id ORDER BY a.id DESC LIMIT 1)`;
  return recipe === 'reference' ? `${latestIsReference} IS TRUE` : `${latestIsReference} IS NOT TRUE`;
}

export class PostgresMetricsReader implements MetricsReader {
  constructor(
    private readonly pool: pg.Pool,
    private readonly jobs: Pick<JobQueue, 'counts'>,
  ) {}

  async stats(): Promise<Stats> {
    const row = (
      await this.pool.query<Record<string, number | null>>(
        `SELECT count(*)::int AS cases,
                count(*) FILTER (WHERE model_status <> 'none')::int AS audited,
                count(*) FILTER (WHERE human_risk IS NOT NULL)::int AS reviewed,
                count(*) FILTER (WHERE model_status = 'parse_failure')::int AS "parseFailures",
                count(*) FILTER (WHERE gold IS NOT NULL AND model_status = 'ok')::int AS "goldCompared",
                count(*) FILTER (WHERE gold IS NOT NULL AND model_status = 'ok' AND gold = model_risk)::int AS "goldAgree",
                (SELECT count(*)::int FROM images) AS images,
                (SELECT count(*)::int FROM audits) AS audits
         FROM cases`,
      )
    ).rows[0];
    const jobs = await this.jobs.counts();
    const compared = row.goldCompared ?? 0;
    return {
      cases: row.cases ?? 0,
      images: row.images ?? 0,
      audits: row.audits ?? 0,
      audited: row.audited ?? 0,
      reviewed: row.reviewed ?? 0,
      parseFailures: row.parseFailures ?? 0,
      jobs: { queued: jobs.queued, running: jobs.running, done: jobs.done, failed: jobs.failed },
      modelVsGold: compared ? { compared, agreement: (row.goldAgree ?? 0) / compared } : null,
      referenceAgreement: await this.referenceAgreement('true'),
    };
  }

  async metrics(query?: MetricsQuery): Promise<Metrics> {
    const [modelVsHuman, modelVsGold] = await Promise.all([this.compare('human_risk'), this.compare('gold')]);
    const perCategory = (
      await this.pool.query<{ category: string | null; n: number; agree: number }>(
        `SELECT coalesce(human_category, model_category) AS category, count(*)::int AS n,
                count(*) FILTER (WHERE human_risk = model_risk)::int AS agree
         FROM cases WHERE human_risk IS NOT NULL AND model_status = 'ok'
         GROUP BY 1 ORDER BY coalesce(human_category, model_category) COLLATE "C" NULLS FIRST`,
      )
    ).rows.map((row) => ({
      category: (row.category && scheme.categories.includes(row.category) ? row.category : 'none') as Category | 'none',
      n: row.n,
      agreement: row.n ? row.agree / row.n : 0,
    }));
    const parseFailures = (
      await this.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases WHERE model_status = 'parse_failure'`)
    ).rows[0].n;
    return {
      modelVsHuman,
      modelVsGold,
      perCategory,
      parseFailures,
      fidelity: await this.fidelity({ recipe: query?.recipe ?? 'all' }),
    };
  }

  /** Scores that cannot flatter: F1 three ways, calibration of the confidence, the recipe filter (provenance). */
  async fidelity(query?: MetricsQuery): Promise<FidelityMetrics> {
    const recipe = query?.recipe ?? 'all';
    const recipeSql = recipeCondition(recipe);
    const cells = async (reference: 'gold' | 'human_risk') =>
      (
        await this.pool.query<VerdictCell>(
          `SELECT ${reference} AS ref, CASE WHEN model_status = 'ok' THEN model_risk END AS model, count(*)::int AS n
           FROM cases c WHERE ${reference} IS NOT NULL AND model_status <> 'none' AND (${recipeSql}) GROUP BY 1, 2`,
        )
      ).rows;
    const rows = (
      await this.pool.query<{ model: RiskLevel; human: RiskLevel; probs: Record<string, unknown> | null }>(
        `SELECT c.model_risk AS model, c.human_risk AS human,
                (SELECT a.level_probs FROM audits a WHERE a.case_id = c.id ORDER BY a.id DESC LIMIT 1) AS probs
         FROM cases c WHERE c.human_risk IS NOT NULL AND c.model_status = 'ok' AND (${recipeSql}) ORDER BY c.seq`,
      )
    ).rows;
    const points = rows.flatMap((row) => {
      const confidence = verdictConfidence(row.probs && JSON.stringify(row.probs), row.model);
      return confidence === null ? [] : [{ confidence, correct: row.model === row.human }];
    });
    const without = rows.length - points.length;
    return {
      recipe,
      vsGold: binaryF1ThreeWays(await cells('gold')),
      vsHuman: binaryF1ThreeWays(await cells('human_risk')),
      calibration: points.length ? calibrate(points) : null,
      calibrationNote: !rows.length
        ? 'No reviewed case has a model verdict yet.'
        : without
          ? `${without} of ${rows.length} reviewed verdict(s) have no confidence (their engine could not report one) and are left out.`
          : null,
      reference: await this.referenceAgreement(recipeSql),
    };
  }

  async teamAgreement(): Promise<TeamAgreementReport> {
    const live = (
      await this.pool.query<LiveDecision>(
        `SELECT r.case_id, r.reviewer, r.kind, r.risk, r.category,
                CASE WHEN c.model_status = 'ok' THEN c.model_risk END AS model_risk, c.model_category, c.human_category
         FROM reviews r JOIN cases c ON c.id = r.case_id
         WHERE r.kind IN ('decision', 'adjudication')
           AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes_review_id = r.id)
         ORDER BY r.id`,
      )
    ).rows;
    const times = new Map<string, number[]>();
    for (const row of (
      await this.pool.query<{ reviewer: string; at: Date }>(
        `SELECT reviewer, created_at AS at FROM reviews WHERE kind = 'decision' ORDER BY created_at, id`,
      )
    ).rows)
      times.set(row.reviewer, [...(times.get(row.reviewer) ?? []), row.at.getTime()]);
    const disputed = (
      await this.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM case_decisions WHERE basis = 'disputed'`)
    ).rows[0].n;
    const { agreement, reviewers } = teamAgreementFrom(live, (reviewer) =>
      medianSecondsBetween(times.get(reviewer) ?? []),
    );
    return { ...agreement, reviewers, disputed };
  }

  private async compare(reference: 'human_risk' | 'gold'): Promise<Comparison> {
    const rows = (
      await this.pool.query<{ ref: number; model: number; n: number }>(
        `SELECT ${reference} AS ref, model_risk AS model, count(*)::int AS n FROM cases
         WHERE ${reference} IS NOT NULL AND model_status = 'ok' GROUP BY 1, 2`,
      )
    ).rows;
    return comparisonFromCells(rows, scheme);
  }

  private async referenceAgreement(appCondition: string) {
    const rows = (
      await this.pool.query<PairRow>(
        `SELECT c.id AS "caseId", c.model_status AS "appStatus", c.model_risk AS "appRisk", r.status AS "refStatus",
                r.risk AS "refRisk"
         FROM reference_verdicts r JOIN cases c ON c.id = r.case_id
         WHERE r.id = (SELECT max(id) FROM reference_verdicts WHERE case_id = r.case_id)
           AND c.model_status <> 'none' AND (${appCondition})
         ORDER BY c.seq`,
      )
    ).rows;
    return referenceAgreementFromPairs(rows);
  }
}
