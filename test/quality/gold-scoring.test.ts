import { describe, expect, it } from 'vitest';
import { interleaveGold, isoWeek, scoreAgainstGold, scoreDetail, seededRandom, type GoldAnswer } from '@domain/gold';
import type { RiskLevel } from '@domain/types';

const answer = (
  caseId: string,
  goldRisk: RiskLevel,
  givenRisk: RiskLevel,
  at = '2026-12-07T10:00:00Z',
): GoldAnswer => ({
  caseId,
  goldRisk,
  goldCategory: goldRisk === 0 ? null : 'Cybersecurity',
  givenRisk,
  givenCategory: null,
  at,
});

// Worked by hand (docs/quality.md): 8 answers, gold/given =
//   a 0/0  b 0/0  c 0/0.5  d 0.5/0.5  e 0.5/1  f 1/1  g 1/0  h 1/1
// exact: a b d f h = 5/8 = 0.625
// harmful = 0.5 or 1. TP d e f h = 4, FP c = 1, FN g = 1: F1 = 2·4 / (2·4 + 1 + 1) = 0.8
// kappa: p_o = 5/8; gold marginals 3/2/3, given marginals 3/2/3: p_e = (9 + 4 + 9)/64 = 22/64;
//        (0.625 − 0.34375) / (1 − 0.34375) = 0.28125 / 0.65625 = 3/7
const EXAMPLE: GoldAnswer[] = [
  answer('a', 0, 0),
  answer('b', 0, 0),
  answer('c', 0, 0.5),
  answer('d', 0.5, 0.5),
  answer('e', 0.5, 1),
  answer('f', 1, 1),
  answer('g', 1, 0),
  answer('h', 1, 1),
];

describe('scoring against gold', () => {
  it('matches the hand-computed accuracy, binary F1, kappa and confusion matrix', () => {
    const score = scoreAgainstGold(EXAMPLE);
    expect(score.n).toBe(8);
    expect(score.accuracy).toBe(0.625);
    expect(score.f1).toBeCloseTo(0.8, 12);
    expect(score.kappa).toBeCloseTo(3 / 7, 12);
    expect(score.confusion).toEqual({
      '0': { '0': 2, '0.5': 1, '1': 0 },
      '0.5': { '0': 0, '0.5': 1, '1': 1 },
      '1': { '0': 1, '0.5': 0, '1': 2 },
    });
  });

  it('perfect answers score 1; nothing to score is null, not 0', () => {
    const perfect = scoreAgainstGold([answer('a', 0, 0), answer('b', 1, 1), answer('c', 0.5, 0.5)]);
    expect(perfect).toMatchObject({ accuracy: 1, f1: 1, kappa: 1 });
    expect(scoreAgainstGold([])).toMatchObject({ n: 0, accuracy: null, f1: null, kappa: null });
    // All safe, all answered safe: no harmful case on either side, so F1 is undefined, not perfect.
    expect(scoreAgainstGold([answer('a', 0, 0)]).f1).toBeNull();
  });

  it('splits by gold category and ISO week, and lists the misses', () => {
    const detail = scoreDetail([
      ...EXAMPLE.slice(0, 4),
      ...EXAMPLE.slice(4).map((a) => ({ ...a, at: '2026-12-14T09:00:00Z' })),
    ]);
    expect(detail.byWeek.map((w) => [w.week, w.n])).toEqual([
      ['2026-W50', 4],
      ['2026-W51', 4],
    ]);
    expect(detail.byCategory.map((c) => [c.category, c.n, c.accuracy])).toEqual([
      ['Cybersecurity', 5, 3 / 5],
      ['none', 3, 2 / 3],
    ]);
    expect(detail.missed.map((m) => m.caseId)).toEqual(['c', 'e', 'g']);
  });

  it('numbers ISO weeks across a year end', () => {
    expect(isoWeek('2026-12-07T23:00:00Z')).toBe('2026-W50');
    expect(isoWeek('2027-01-01T12:00:00Z')).toBe('2026-W53'); // a Friday: belongs to 2026's last week
    expect(isoWeek('2027-01-04T00:00:00Z')).toBe('2027-W01');
  });
});

describe('blind interleaving', () => {
  it.each([
    [0.05, 1],
    [0.05, 2],
    [0.05, 3],
    [0.2, 4],
  ])('over 10,000 draws at rate %s (seed %s) the gold share is within its binomial bounds', (rate, seed) => {
    const regular = Array.from({ length: 20_000 }, (_, i) => `r${i}`);
    const gold = Array.from({ length: 20_000 }, (_, i) => `g${i}`);
    const queue = interleaveGold(regular, gold, rate, seededRandom(seed)).slice(0, 10_000);
    const drawn = queue.filter((id) => id.startsWith('g')).length;
    // Each slot is gold with probability `rate`: Binomial(10,000, rate); 4 standard deviations either side.
    const mean = 10_000 * rate;
    const sd = Math.sqrt(10_000 * rate * (1 - rate));
    expect(drawn).toBeGreaterThan(mean - 4 * sd);
    expect(drawn).toBeLessThan(mean + 4 * sd);
  });

  it('keeps the regular order, uses each gold case once, and is deterministic per seed', () => {
    const regular = Array.from({ length: 500 }, (_, i) => `r${i}`);
    const gold = ['g1', 'g2', 'g3'];
    const queue = interleaveGold(regular, gold, 0.3, seededRandom(7));
    expect(queue.filter((id) => id.startsWith('r'))).toEqual(regular);
    expect(queue.filter((id) => id.startsWith('g'))).toEqual(gold);
    expect(interleaveGold(regular, gold, 0.3, seededRandom(7))).toEqual(queue);
    expect(interleaveGold(regular, gold, 0, seededRandom(7))).toEqual(regular);
    expect(() => interleaveGold(regular, gold, 1, seededRandom(7))).toThrow(/below 1/);
  });
});
