// The maths behind the metrics screen's honest numbers, as pure functions (tested in test/store/fidelity-metrics.test.ts).
// SQL elsewhere only counts; everything that could be got subtly wrong is here.
import type { BinaryCounts, BinaryF1ThreeWays, Calibration, CalibrationBin, ThreeWayScores } from '@domain/fidelity';
import { RISK_LEVELS, type RiskLevel } from '@domain/types';

/** One group of cases: the reference label, the app's verdict (null = no parseable verdict) and how many. */
export interface VerdictCell {
  ref: RiskLevel;
  model: RiskLevel | null;
  n: number;
}

export function scoresFromCounts(counts: BinaryCounts): ThreeWayScores {
  const { tp, fp, fn, tn } = counts;
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return {
    n: tp + fp + fn + tn,
    precision,
    recall,
    f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
  };
}

/**
 * Binary scores with 0.5 and 1 as harmful, three ways. A parse failure is, in turn: left out; the wrong answer
 * (a harmful case called safe, a safe case called harmful); and "safe" (what silently defaulting would report).
 */
export function binaryF1ThreeWays(cells: readonly VerdictCell[]): BinaryF1ThreeWays {
  const excluded: BinaryCounts = { tp: 0, fp: 0, fn: 0, tn: 0 };
  const wrong: BinaryCounts = { tp: 0, fp: 0, fn: 0, tn: 0 };
  const safe: BinaryCounts = { tp: 0, fp: 0, fn: 0, tn: 0 };
  let n = 0;
  let parseFailures = 0;
  for (const cell of cells) {
    n += cell.n;
    const refHarmful = cell.ref > 0;
    if (cell.model === null) {
      parseFailures += cell.n;
      if (refHarmful) {
        wrong.fn += cell.n;
        safe.fn += cell.n;
      } else {
        wrong.fp += cell.n;
        safe.tn += cell.n;
      }
      continue;
    }
    const modelHarmful = cell.model > 0;
    const key: keyof BinaryCounts =
      refHarmful && modelHarmful ? 'tp' : !refHarmful && modelHarmful ? 'fp' : refHarmful ? 'fn' : 'tn';
    for (const counts of [excluded, wrong, safe]) counts[key] += cell.n;
  }
  return {
    n,
    parseFailures,
    parseFailuresExcluded: scoresFromCounts(excluded),
    parseFailuresWrong: scoresFromCounts(wrong),
    parseFailuresSafe: scoresFromCounts(safe),
  };
}

/**
 * The probability the model gave the level it chose, out of the three levels' probabilities (normalised over them:
 * the top log-probabilities also hold tokens that are no level). Null when the JSON is unusable or lacks the level.
 *
 * Levels that leave the chosen level's path at its first token are upper bounds that share that token: when the model
 * wrote "1", p(0) and p(0.5) are both p("0") (what follows a "0" was never computed; engine/profiles/level-probs.ts).
 * Such a group counts once, with its largest value, so p("0") is not added twice; levels on the chosen path (0 and
 * 0.5 when the model wrote a "0") split their first token's mass and are summed.
 */
export function verdictConfidence(levelProbsJson: string | null, verdict: RiskLevel): number | null {
  if (!levelProbsJson) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(levelProbsJson);
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  const probs = parsed as Record<string, unknown>;
  const chosenText = String(verdict);
  const sameFirstToken = new Map<string, number>();
  let total = 0;
  for (const level of RISK_LEVELS) {
    const p = probs[String(level)];
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 0) continue;
    const first = String(level)[0]!;
    if (first === chosenText[0]) total += p;
    else sameFirstToken.set(first, Math.max(sameFirstToken.get(first) ?? 0, p));
  }
  for (const p of sameFirstToken.values()) total += p;
  const chosen = probs[chosenText];
  if (typeof chosen !== 'number' || !Number.isFinite(chosen) || chosen < 0 || total <= 0) return null;
  return Math.min(1, chosen / total);
}

/** Reliability bins of equal width over [0, 1] and the expected calibration error. */
export function calibrate(points: ReadonlyArray<{ confidence: number; correct: boolean }>, binCount = 10): Calibration {
  const sums = Array.from({ length: binCount }, () => ({ n: 0, confidence: 0, correct: 0 }));
  for (const point of points) {
    const index = Math.min(binCount - 1, Math.max(0, Math.floor(point.confidence * binCount)));
    sums[index].n++;
    sums[index].confidence += point.confidence;
    if (point.correct) sums[index].correct++;
  }
  const n = points.length;
  const bins: CalibrationBin[] = sums.map((sum, i) => ({
    lower: i / binCount,
    upper: (i + 1) / binCount,
    n: sum.n,
    meanConfidence: sum.n ? sum.confidence / sum.n : 0,
    accuracy: sum.n ? sum.correct / sum.n : 0,
  }));
  const ece = n ? bins.reduce((acc, bin) => acc + (bin.n / n) * Math.abs(bin.accuracy - bin.meanConfidence), 0) : 0;
  return { n, bins, ece };
}
