// Inter-rater agreement, as pure functions over plain values (no store, no I/O), so they can be checked
// against published worked examples (test/domain/agreement.test.ts).

export type AlphaMetric = 'nominal' | 'ordinal' | 'interval' | 'ratio';

/**
 * Krippendorff's alpha for any number of coders, with missing values. `units` holds, for each unit (case),
 * the values the coders gave it; units with fewer than two values are not pairable and are left out.
 * Follows Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": a coincidence matrix over the
 * pairable values, then alpha = 1 - (n - 1) * sum(o_ck * d_ck) / sum(n_c * n_k * d_ck).
 * Returns null when alpha is undefined (no pairable unit, or every value the same: no expected disagreement).
 */
export function krippendorffAlpha(units: ReadonlyArray<ReadonlyArray<number>>, metric: AlphaMetric): number | null {
  const pairable = units.filter((values) => values.length >= 2);
  if (!pairable.length) return null;
  const values = [...new Set(pairable.flat())].sort((x, y) => x - y);
  const index = new Map(values.map((value, i) => [value, i]));
  const size = values.length;
  const coincidence = values.map(() => values.map(() => 0));
  for (const unit of pairable) {
    const counts = new Array<number>(size).fill(0);
    for (const value of unit) counts[index.get(value)!]++;
    const weight = 1 / (unit.length - 1);
    for (let c = 0; c < size; c++) {
      if (!counts[c]) continue;
      for (let k = 0; k < size; k++) {
        const pairs = c === k ? counts[c] * (counts[c] - 1) : counts[c] * counts[k];
        coincidence[c][k] += pairs * weight;
      }
    }
  }
  const marginals = coincidence.map((row) => row.reduce((sum, cell) => sum + cell, 0));
  const total = marginals.reduce((sum, n) => sum + n, 0);
  const distance = distanceFunction(metric, values, marginals);
  let observed = 0;
  let expected = 0;
  for (let c = 0; c < size; c++) {
    for (let k = 0; k < size; k++) {
      const d = distance(c, k);
      observed += coincidence[c][k] * d;
      expected += marginals[c] * marginals[k] * d;
    }
  }
  if (expected === 0) return null;
  return 1 - ((total - 1) * observed) / expected;
}

/** Squared difference functions (Krippendorff 2011, section on metrics); ordinal uses the marginals as ranks. */
function distanceFunction(
  metric: AlphaMetric,
  values: readonly number[],
  marginals: readonly number[],
): (c: number, k: number) => number {
  switch (metric) {
    case 'nominal':
      return (c, k) => (c === k ? 0 : 1);
    case 'interval':
      return (c, k) => (values[c] - values[k]) ** 2;
    case 'ratio':
      return (c, k) => (c === k ? 0 : ((values[c] - values[k]) / (values[c] + values[k])) ** 2);
    case 'ordinal':
      return (c, k) => {
        if (c === k) return 0;
        const [low, high] = c < k ? [c, k] : [k, c];
        let between = 0;
        for (let g = low; g <= high; g++) between += marginals[g];
        return (between - (marginals[low] + marginals[high]) / 2) ** 2;
      };
  }
}

/**
 * Cohen's kappa for two raters over the same items: (p_o - p_e) / (1 - p_e), with p_e from each rater's own
 * marginal distribution. Returns null when undefined (no items, or both raters always gave one same label).
 */
export function cohensKappa<T>(pairs: ReadonlyArray<readonly [T, T]>): number | null {
  const n = pairs.length;
  if (!n) return null;
  const first = new Map<T, number>();
  const second = new Map<T, number>();
  let agree = 0;
  for (const [a, b] of pairs) {
    if (a === b) agree++;
    first.set(a, (first.get(a) ?? 0) + 1);
    second.set(b, (second.get(b) ?? 0) + 1);
  }
  let chance = 0;
  for (const [label, count] of first) chance += (count / n) * ((second.get(label) ?? 0) / n);
  if (chance >= 1) return null;
  return (agree / n - chance) / (1 - chance);
}

export function median(values: readonly number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
