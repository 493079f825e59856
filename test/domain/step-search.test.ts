import { describe, expect, it } from 'vitest';
import { isMonotone, maxProbes, planSearch } from '@domain/step-localization';

/** Runs the planner against an oracle and returns the outcome and the cuts it probed. */
function run(stepCount: number, oracle: (cut: number) => boolean) {
  const probes = new Map<number, boolean>();
  for (;;) {
    const plan = planSearch(stepCount, probes);
    if ('done' in plan) return { plan, cuts: [...probes.keys()] };
    expect(probes.has(plan.next)).toBe(false); // never the same probe twice
    probes.set(plan.next, oracle(plan.next));
  }
}

describe('planSearch', () => {
  it('finds the first flagged step for every position in traces of 1 to 200 steps within ⌈log2 N⌉ + 1 probes', () => {
    for (let n = 1; n <= 200; n++) {
      for (let marker = 1; marker <= n; marker++) {
        const { plan, cuts } = run(n, (cut) => cut >= marker);
        expect(plan).toEqual({ done: 'located', step: marker });
        expect(cuts.length).toBeLessThanOrEqual(maxProbes(n));
        // Confirmed by its own probes: k flagged, k−1 not.
        expect(cuts).toContain(marker);
        if (marker > 1) expect(cuts).toContain(marker - 1);
      }
    }
  });

  it('says "not flagged" when no prefix without the response is flagged', () => {
    const { plan, cuts } = run(37, () => false);
    expect(plan).toEqual({ done: 'not_flagged', step: null });
    expect(cuts.length).toBeLessThanOrEqual(maxProbes(37));
  });

  it('reports a planted non-monotone pattern instead of a step', () => {
    // Flagged from step 5 until step 30 "retracts" it: a prefix is flagged, the whole trace is not.
    const { plan } = run(40, (cut) => cut >= 5 && cut < 30);
    expect(plan).toEqual({ done: 'not_monotone', step: null });
  });

  it('gives no probe for a trace without steps', () => {
    expect(planSearch(0, new Map())).toEqual({ done: 'no_steps', step: null });
    expect(maxProbes(0)).toBe(0);
    expect(maxProbes(1)).toBe(1);
    expect(maxProbes(200)).toBe(9);
  });

  it('checks monotonicity on any set of probes', () => {
    expect(
      isMonotone(
        new Map([
          [1, false],
          [3, true],
          [9, true],
        ]),
      ),
    ).toBe(true);
    expect(
      isMonotone(
        new Map([
          [1, true],
          [3, false],
        ]),
      ),
    ).toBe(false);
  });
});
