import { describe, expect, it } from 'vitest';
import { binaryF1ThreeWays, calibrate, verdictConfidence } from '@main/store/metrics/fidelity-metrics';

describe('binary F1 three ways (0.5 and 1 are harmful)', () => {
  // 10 cases with a label: 4 harmful ones the model called harmful (tp), 1 harmful called safe (fn),
  // 3 safe called safe (tn), 1 safe called 0.5 (fp), plus 2 parse failures: one on a harmful case (label 1),
  // one on a safe case (label 0).
  const cells = [
    { ref: 1, model: 1, n: 3 },
    { ref: 0.5, model: 1, n: 1 },
    { ref: 1, model: 0, n: 1 },
    { ref: 0, model: 0, n: 3 },
    { ref: 0, model: 0.5, n: 1 },
    { ref: 1, model: null, n: 1 },
    { ref: 0, model: null, n: 1 },
  ] as const;
  const result = binaryF1ThreeWays(cells);

  it('always counts the parse failures', () => {
    expect(result.n).toBe(11);
    expect(result.parseFailures).toBe(2);
  });

  it('excluded: tp 4, fp 1, fn 1 -> precision 4/5, recall 4/5, F1 0.8 over 9 cases', () => {
    expect(result.parseFailuresExcluded.n).toBe(9);
    expect(result.parseFailuresExcluded.precision).toBeCloseTo(0.8, 12);
    expect(result.parseFailuresExcluded.recall).toBeCloseTo(0.8, 12);
    expect(result.parseFailuresExcluded.f1).toBeCloseTo(0.8, 12);
  });

  it('counted as wrong: the harmful failure is a fn, the safe one a fp -> P 4/6, R 4/6, F1 2/3', () => {
    expect(result.parseFailuresWrong.n).toBe(11);
    expect(result.parseFailuresWrong.precision).toBeCloseTo(4 / 6, 12);
    expect(result.parseFailuresWrong.recall).toBeCloseTo(4 / 6, 12);
    expect(result.parseFailuresWrong.f1).toBeCloseTo(2 / 3, 12);
  });

  it('counted as safe: the harmful failure is a fn, the safe one a tn -> P 4/5, R 4/6, F1 = 2PR/(P+R) = 8/11', () => {
    expect(result.parseFailuresSafe.precision).toBeCloseTo(0.8, 12);
    expect(result.parseFailuresSafe.recall).toBeCloseTo(4 / 6, 12);
    // 2 * 0.8 * 0.6667 / (0.8 + 0.6667) = 1.0667 / 1.4667 = 0.72727 = 8/11
    expect(result.parseFailuresSafe.f1).toBeCloseTo(8 / 11, 12);
  });

  it('no cases gives zeros, not NaN', () => {
    const empty = binaryF1ThreeWays([]);
    expect(empty).toMatchObject({ n: 0, parseFailures: 0 });
    expect(empty.parseFailuresWrong).toEqual({ n: 0, precision: 0, recall: 0, f1: 0 });
  });
});

describe('verdict confidence from level_probs', () => {
  it('is the chosen level normalised over the three levels', () => {
    // 0.06 / (0.9 + 0.06 + 0.04) = 0.06
    expect(verdictConfidence('{"0":0.9,"0.5":0.06,"1":0.04}', 0.5)).toBeCloseTo(0.06, 12);
    // 0.45 / (0.45 + 0.05 + 0) = 0.9: mass on non-level tokens does not count
    expect(verdictConfidence('{"0":0.45,"0.5":0.05,"1":0}', 0)).toBeCloseTo(0.9, 12);
  });

  it('counts p("0") once when the model wrote "1" (p(0) and p(0.5) are then both the upper bound p("0"))', () => {
    // level-probs for "1" with p("1") = 0.7, p("0") = 0.3: {0: 0.3, 0.5: 0.3, 1: 0.7}. 0.7 / (0.7 + 0.3), not / 1.3.
    expect(verdictConfidence('{"0":0.3,"0.5":0.3,"1":0.7}', 1)).toBeCloseTo(0.7, 12);
    // On the "0" path the two levels split p("0") and are summed: 0.2 / (0.2 + 0.1 + 0.7).
    expect(verdictConfidence('{"0":0.2,"0.5":0.1,"1":0.7}', 0.5)).toBeCloseTo(0.1, 12);
  });

  it('is null for NULL, broken JSON, a missing level or all-zero probabilities', () => {
    expect(verdictConfidence(null, 0)).toBeNull();
    expect(verdictConfidence('{', 0)).toBeNull();
    expect(verdictConfidence('{"0":0.9}', 1)).toBeNull();
    expect(verdictConfidence('{"0":0,"0.5":0,"1":0}', 0)).toBeNull();
    expect(verdictConfidence('[0.9,0.1]', 0)).toBeNull();
  });
});

describe('calibration', () => {
  it('bins by confidence and computes ECE = sum(n_b/n * |acc_b - conf_b|)', () => {
    // bin [0.9,1]: confidences 0.95, 0.95, 0.95, 0.95 (mean 0.95), 3 of 4 correct (0.75) -> gap 0.2
    // bin [0.5,0.6): confidences 0.55, 0.55 (mean 0.55), 1 of 2 correct (0.5) -> gap 0.05
    // ECE = 4/6 * 0.2 + 2/6 * 0.05 = 0.13333 + 0.01667 = 0.15
    const c = calibrate([
      { confidence: 0.95, correct: true },
      { confidence: 0.95, correct: true },
      { confidence: 0.95, correct: true },
      { confidence: 0.95, correct: false },
      { confidence: 0.55, correct: true },
      { confidence: 0.55, correct: false },
    ]);
    expect(c.n).toBe(6);
    expect(c.bins).toHaveLength(10);
    expect(c.bins[9]).toMatchObject({ n: 4, accuracy: 0.75 });
    expect(c.bins[9].meanConfidence).toBeCloseTo(0.95, 12);
    expect(c.bins[5]).toMatchObject({ n: 2, accuracy: 0.5 });
    expect(c.ece).toBeCloseTo(0.15, 12);
  });

  it('a confidence of exactly 1 lands in the last bin; perfectly calibrated points give ECE 0', () => {
    const c = calibrate([
      { confidence: 1, correct: true },
      { confidence: 1, correct: true },
    ]);
    expect(c.bins[9].n).toBe(2);
    expect(c.ece).toBe(0);
    expect(calibrate([]).ece).toBe(0);
  });
});
