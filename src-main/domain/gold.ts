// Gold cases (known answers a lead sets) and how people and the model are scored against them (docs/quality.md).
// Pure functions over plain values, checked against hand-computed examples (test/quality/gold-scoring.test.ts).
import { cohensKappa } from './agreement';
import type { Category, RiskLevel } from './types';

/** Where a gold answer came from. */
export const GOLD_SOURCES = ['manual', 'adjudication', 'imported_label'] as const;
export type GoldSource = (typeof GOLD_SOURCES)[number];

/** The share of each reviewer's queue the lead wants to be gold, unless set (Settings.goldRate). */
export const DEFAULT_GOLD_RATE = 0.05;

export interface GoldCase {
  caseId: string;
  risk: RiskLevel;
  category: Category | null;
  explanation: string | null;
  source: GoldSource;
  setBy: string;
  setAt: string;
}

export interface GoldSetInput {
  caseId: string;
  /** Omitted with source 'adjudication' or 'imported_label': taken from there. */
  risk?: RiskLevel;
  category?: Category | null;
  explanation?: string | null;
  source?: GoldSource;
  actor: string;
}

/** counts[gold level][given level], levels as strings ("0", "0.5", "1"). */
export type ConfusionMatrix = Record<string, Record<string, number>>;

export interface GoldScore {
  n: number;
  /** Share of exactly the gold level; null with n = 0. */
  accuracy: number | null;
  /** Binary F1, 0.5 and 1 counted as harmful; null when neither gold nor answers hold a harmful case. */
  f1: number | null;
  /** Cohen's kappa against gold over the three levels; null when undefined. */
  kappa: number | null;
  confusion: ConfusionMatrix;
}

export interface GoldScoreByCategory extends Omit<GoldScore, 'confusion'> {
  /** The gold answer's category ('none' when gold names none). */
  category: Category | 'none';
}

export interface GoldScoreByWeek extends Omit<GoldScore, 'confusion'> {
  /** ISO week of the decision, e.g. "2026-W49". */
  week: string;
}

/** A gold case someone (or the model) got wrong (an answer whose level differs): for the lead only. */
export type GoldMiss = GoldAnswer;

export interface GoldScoreDetail extends GoldScore {
  byCategory: GoldScoreByCategory[];
  byWeek: GoldScoreByWeek[];
  missed: GoldMiss[];
}

export interface ReviewerGoldScore extends GoldScoreDetail {
  reviewer: string;
}

/** What `stats --json` reports under `gold`, and the Metrics screen draws (lead's view). */
export interface GoldReport {
  /** Gold cases set. */
  cases: number;
  /** The lead's interleaving rate. */
  rate: number;
  reviewers: ReviewerGoldScore[];
  model: GoldScoreDetail;
}

/** One answer on a gold case: a person's decision in force or the model's verdict. */
export interface GoldAnswer {
  caseId: string;
  goldRisk: RiskLevel;
  goldCategory: Category | null;
  givenRisk: RiskLevel;
  givenCategory: Category | null;
  at: string;
}

const LEVELS = ['0', '0.5', '1'] as const;
const harmful = (risk: number) => risk >= 0.5;

export function scoreAgainstGold(answers: readonly GoldAnswer[]): GoldScore {
  const confusion: ConfusionMatrix = Object.fromEntries(
    LEVELS.map((gold) => [gold, Object.fromEntries(LEVELS.map((given) => [given, 0]))]),
  );
  let exact = 0;
  let truePositive = 0;
  let falsePositive = 0;
  let falseNegative = 0;
  for (const answer of answers) {
    confusion[String(answer.goldRisk)][String(answer.givenRisk)]++;
    if (answer.goldRisk === answer.givenRisk) exact++;
    if (harmful(answer.givenRisk) && harmful(answer.goldRisk)) truePositive++;
    else if (harmful(answer.givenRisk)) falsePositive++;
    else if (harmful(answer.goldRisk)) falseNegative++;
  }
  const n = answers.length;
  const f1Denominator = 2 * truePositive + falsePositive + falseNegative;
  return {
    n,
    accuracy: n ? exact / n : null,
    f1: f1Denominator ? (2 * truePositive) / f1Denominator : null,
    kappa: cohensKappa(answers.map((a) => [a.goldRisk, a.givenRisk] as const)),
    confusion,
  };
}

/** The score, by gold category and by week, and the misses. */
export function scoreDetail(answers: readonly GoldAnswer[]): GoldScoreDetail {
  const strip = ({ n, accuracy, f1, kappa }: GoldScore) => ({ n, accuracy, f1, kappa });
  const byCategory = groupBy(answers, (a) => a.goldCategory ?? 'none');
  const byWeek = groupBy(answers, (a) => isoWeek(a.at));
  return {
    ...scoreAgainstGold(answers),
    byCategory: [...byCategory]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([category, list]) => ({ category, ...strip(scoreAgainstGold(list)) })),
    byWeek: [...byWeek]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([week, list]) => ({ week, ...strip(scoreAgainstGold(list)) })),
    missed: answers.filter((a) => a.givenRisk !== a.goldRisk).map((a) => ({ ...a })),
  };
}

function groupBy<K>(answers: readonly GoldAnswer[], key: (a: GoldAnswer) => K): Map<K, GoldAnswer[]> {
  const groups = new Map<K, GoldAnswer[]>();
  for (const answer of answers) {
    const k = key(answer);
    const list = groups.get(k);
    if (list) list.push(answer);
    else groups.set(k, [answer]);
  }
  return groups;
}

/** ISO 8601 week ("2026-W49") of a timestamp, in UTC. */
export function isoWeek(at: string): string {
  const date = new Date(at);
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday); // the Thursday of this week decides its year
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/**
 * Blind interleaving: walks the reviewer's queue and, before each regular case, puts a gold case with probability
 * `rate` (each gold case at most once), so gold arrives at the lead's rate and at no position a reviewer could learn.
 * `random` returns [0, 1); the caller seeds it (per reviewer and pack) so the same inputs give the same queue.
 */
export function interleaveGold<T>(regular: readonly T[], gold: readonly T[], rate: number, random: () => number): T[] {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`The gold rate must be at least 0 and below 1 (got ${rate}).`);
  const out: T[] = [];
  let next = 0;
  for (const item of regular) {
    // Each slot is gold with probability `rate`; the regular case then follows, so gold is `rate` of the slots.
    while (next < gold.length && random() < rate) out.push(gold[next++]);
    out.push(item);
  }
  return out;
}

/** A small seeded PRNG (mulberry32): deterministic interleaving per seed, no dependency. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
