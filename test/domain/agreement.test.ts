import { describe, expect, it } from 'vitest';
import { cohensKappa, krippendorffAlpha, median } from '@domain/agreement';

describe("Krippendorff's alpha", () => {
  // Krippendorff, K. (2011). "Computing Krippendorff's Alpha-Reliability", Annenberg School for Communication,
  // University of Pennsylvania, section C: four observers, twelve units, values 1-5, with missing data.
  // Published results: nominal 0.743, ordinal 0.815, interval 0.849, ratio 0.797.
  const missing = null;
  const observers = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, missing, missing, missing],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, missing, 3],
    [missing, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, missing],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, missing],
  ];
  const units = observers[0].map((_, unit) =>
    observers.map((values) => values[unit]).filter((value): value is number => value !== null),
  );

  it('matches the published nominal, ordinal, interval and ratio values', () => {
    expect(krippendorffAlpha(units, 'nominal')!.toFixed(3)).toBe('0.743');
    expect(krippendorffAlpha(units, 'ordinal')!.toFixed(3)).toBe('0.815');
    expect(krippendorffAlpha(units, 'interval')!.toFixed(3)).toBe('0.849');
    expect(krippendorffAlpha(units, 'ratio')!.toFixed(3)).toBe('0.797');
  });

  it('matches the exact nominal value from the paper: 1 - 39 * 4 / 608', () => {
    // The paper's coincidence matrix: n = 40 pairable values, off-diagonal coincidences summing to 4, and
    // sum over c != k of n_c * n_k = 608, so alpha_nominal = 1 - (n - 1) * 4 / 608 = 0.74342...
    expect(krippendorffAlpha(units, 'nominal')).toBeCloseTo(1 - (39 * 4) / 608, 12);
  });

  it('leaves out units with a single value and is undefined when nothing is pairable or nothing varies', () => {
    expect(krippendorffAlpha([[1], [2]], 'nominal')).toBeNull();
    expect(
      krippendorffAlpha(
        [
          [1, 1],
          [1, 1, 1],
        ],
        'ordinal',
      ),
    ).toBeNull();
    expect(krippendorffAlpha([[0, 0], [1, 1], [0.5, 0.5], [1]], 'ordinal')).toBe(1);
  });

  it('is 0 for one unit with two different values, and negative for systematic disagreement', () => {
    expect(krippendorffAlpha([[0.5, 1]], 'ordinal')).toBe(0);
    expect(
      krippendorffAlpha(
        [
          [0, 1],
          [1, 0],
        ],
        'nominal',
      ),
    ).toBeLessThan(0);
  });
});

describe("Cohen's kappa", () => {
  // Wikipedia, "Cohen's kappa", worked examples: 50 grant proposals read by two readers A and B.
  const table = (yesYes: number, yesNo: number, noYes: number, noNo: number) => [
    ...Array.from({ length: yesYes }, () => ['yes', 'yes'] as const),
    ...Array.from({ length: yesNo }, () => ['yes', 'no'] as const),
    ...Array.from({ length: noYes }, () => ['no', 'yes'] as const),
    ...Array.from({ length: noNo }, () => ['no', 'no'] as const),
  ];

  it('gives 0.4 for the simple example (20, 5, 10, 15): p_o 0.7, p_e 0.5', () => {
    expect(cohensKappa(table(20, 5, 10, 15))).toBeCloseTo(0.4, 12);
  });

  it('gives 0.1304 and 0.2593 for the "same agreement, different kappa" pair (45, 15, 25, 15) and (25, 35, 5, 35)', () => {
    expect(cohensKappa(table(45, 15, 25, 15))!.toFixed(4)).toBe('0.1304');
    expect(cohensKappa(table(25, 35, 5, 35))!.toFixed(4)).toBe('0.2593');
  });

  it('is 1 for perfect agreement with variation, undefined without items or variation', () => {
    expect(
      cohensKappa([
        [0, 0],
        [1, 1],
        [0.5, 0.5],
      ]),
    ).toBe(1);
    expect(cohensKappa([])).toBeNull();
    expect(
      cohensKappa([
        [0, 0],
        [0, 0],
      ]),
    ).toBeNull();
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([])).toBeNull();
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
