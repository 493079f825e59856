// Model against a reference (human decisions or gold labels), from counted cells: the same maths for both engines.
import { GUARDTRACE_LEVEL_SCHEME, type LevelScheme } from '@domain/levels';
import type { BinaryScores, Comparison } from '@domain/metrics';

/**
 * Confusion matrix over the profile's levels, in its order (rows: reference, columns: model), and binary scores
 * where the profile's harmful levels are positive (GuardTrace: 0.5 and 1, as in the paper). A value that is not one
 * of the levels (a verdict of another profile) is left out rather than miscounted.
 */
export function comparisonFromCells(
  cells: Array<{ ref: number; model: number; n: number }>,
  scheme: LevelScheme = GUARDTRACE_LEVEL_SCHEME,
): Comparison {
  const values = scheme.levels.map((level) => level.value);
  const confusion = values.map(() => values.map(() => 0));
  for (const cell of cells) {
    const [r, m] = [values.indexOf(cell.ref), values.indexOf(cell.model)];
    if (r >= 0 && m >= 0) confusion[r][m] += cell.n;
  }
  let n = 0;
  let agree = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  confusion.forEach((row, r) =>
    row.forEach((count, m) => {
      n += count;
      if (r === m) agree += count;
      const refHarmful = scheme.levels[r].harmful;
      const modelHarmful = scheme.levels[m].harmful;
      if (refHarmful && modelHarmful) tp += count;
      else if (!refHarmful && modelHarmful) fp += count;
      else if (refHarmful && !modelHarmful) fn += count;
      else tn += count;
    }),
  );
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  const binary: BinaryScores = {
    n,
    accuracy: n ? (tp + tn) / n : 0,
    precision,
    recall,
    f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
  };
  return { confusion, n, agreement: n ? agree / n : 0, binary };
}
