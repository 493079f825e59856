// How p(level) is computed from the top probabilities at each generated token, with Qwen's tokenization: digits are
// single tokens, so "0.5" is "0" "." "5" and "0" is a prefix of "0.5".
import { describe, expect, it } from 'vitest';
import { DEFAULT_PROFILE } from '@main/engine/profiles';
import {
  isPostSamplingChoice,
  levelProbabilities,
  stepsOfLatestCompletion,
  type TokenStep,
} from '@main/engine/profiles/level-probs';

const step = (text: string, top: Record<string, number>): TokenStep => ({
  text,
  top: Object.entries(top).map(([t, prob]) => ({ text: t, prob })),
});
const label = [
  step('“', { '“': 1 }),
  step('Judgment', { Judgment: 1 }),
  step('”:', { '”:': 1 }),
  step(' ', { ' ': 1 }),
];

describe('levelProbabilities (GuardTrace-VL levels 0, 0.5, 1)', () => {
  it('the model wrote 0.5: every factor is on its path', () => {
    const r = levelProbabilities(DEFAULT_PROFILE, [
      ...label,
      step('0', { '0': 0.6, '1': 0.4 }),
      step('.', { '.': 0.75, '<|im_end|>': 0.25 }),
      step('5', { '5': 0.9, '0': 0.1 }),
    ]);
    expect(r.levelProbs!['0.5']).toBeCloseTo(0.6 * 0.75 * 0.9);
    // "0" ends the number when the next token is not "." or a digit.
    expect(r.levelProbs!['0']).toBeCloseTo(0.6 * 0.25);
    expect(r.levelProbs!['1']).toBeCloseTo(0.4);
    expect(r.note).toMatch(/upper bounds/);
  });

  it('the model wrote 0: "0" followed by end of text', () => {
    const r = levelProbabilities(DEFAULT_PROFILE, [
      ...label,
      step('0', { '0': 0.8, '1': 0.2 }),
      step('<|im_end|>', { '<|im_end|>': 0.7, '.': 0.3 }),
    ]);
    expect(r.levelProbs!['0']).toBeCloseTo(0.8 * 0.7);
    expect(r.levelProbs!['0.5']).toBeCloseTo(0.8 * 0.3); // "5" after "0." was never computed: upper bound
    expect(r.levelProbs!['1']).toBeCloseTo(0.2);
  });

  it('the model wrote 1 and went on: p(1) is p("1"), not times p(the number ends); 0 and 0.5 are upper bounds', () => {
    const r = levelProbabilities(DEFAULT_PROFILE, [
      ...label,
      step('1', { '1': 0.7, '0': 0.3 }),
      // A "." after the "1" would continue a number, but no level continues "1": it must not lower p(1).
      step('\n', { '\n': 0.6, '.': 0.4 }),
    ]);
    expect(r.levelProbs!['1']).toBeCloseTo(0.7, 12);
    expect(r.levelProbs!['0']).toBeCloseTo(0.3, 12);
    expect(r.levelProbs!['0.5']).toBeCloseTo(0.3, 12);
    expect(r.note).toMatch(/upper bounds/);
  });

  it('a leading space fused with the digit still counts, and a level missing from the top candidates is 0', () => {
    const r = levelProbabilities(DEFAULT_PROFILE, [
      step('Judgment:', { 'Judgment:': 1 }),
      step(' 1', { ' 1': 0.97, ' 0': 0.03 }),
    ]);
    expect(r.levelProbs).toEqual({ '0': 0.03, '0.5': 0.03, '1': 0.97 });
    const missing = levelProbabilities(DEFAULT_PROFILE, [
      step('Judgment: ', { 'Judgment: ': 1 }),
      step('1', { '1': 1 }),
    ]);
    expect(missing.levelProbs).toEqual({ '0': 0, '0.5': 0, '1': 1 });
    expect(missing.note).toMatch(/absent from the top candidates counts as 0/);
  });

  it('uses the last judgment, and says why when there is none or no probabilities', () => {
    const twice = levelProbabilities(DEFAULT_PROFILE, [
      step('Judgment: ', {}),
      step('0', { '0': 1 }),
      step(' Judgment: ', {}),
      step('1', { '1': 0.55, '0': 0.45 }),
    ]);
    expect(twice.levelProbs!['1']).toBeCloseTo(0.55);
    expect(levelProbabilities(DEFAULT_PROFILE, [step('no verdict', { a: 1 })])).toEqual({
      levelProbs: null,
      note: 'no judgment label in the output',
    });
    expect(levelProbabilities(DEFAULT_PROFILE, [])).toMatchObject({ levelProbs: null });
    expect(levelProbabilities(DEFAULT_PROFILE, [step('Judgment: 1', {})])).toMatchObject({
      levelProbs: null,
      note: 'the runtime returned no token probabilities',
    });
    expect(levelProbabilities(DEFAULT_PROFILE, [step('Judgment: 1', { 'Judgment: 1': 1 })])).toMatchObject({
      levelProbs: null,
      note: expect.stringMatching(/shares a token with its label/),
    });
  });
});

describe("stepsOfLatestCompletion (llama.node returns every completion's probabilities so far)", () => {
  const earlier = [step('Judgment', {}), step(': ', {}), step('1', {})];
  const latest = [step('Judgment', {}), step(': ', {}), step('0', {}), step('.', {}), step('5', {})];

  it('keeps only the tokens that spell the latest text', () => {
    expect(stepsOfLatestCompletion([...earlier, ...latest], 'Judgment: 0.5')).toEqual(latest);
    expect(stepsOfLatestCompletion(latest, 'Judgment: 0.5')).toEqual(latest);
  });

  it('allows one trailing end-of-generation piece that is not part of the text', () => {
    const eos = step('<|im_end|>', {});
    expect(stepsOfLatestCompletion([...earlier, eos, ...latest, eos], 'Judgment: 0.5')).toEqual(latest);
  });

  it('is null when the pieces never spell the text, and empty for an empty text', () => {
    expect(stepsOfLatestCompletion([...earlier], 'Judgment: 0.5')).toBeNull();
    expect(stepsOfLatestCompletion([step('x', {}), step('yz', {})], 'xy')).toBeNull();
    expect(stepsOfLatestCompletion(earlier, '')).toEqual([]);
  });

  it("with a stale completion in front, the latest one's level is read, not the earlier one's", () => {
    const withProbs = (t: string) => step(t, { [t]: 0.9, x: 0.1 });
    const old = [withProbs('Judgment'), withProbs(': '), withProbs('1')];
    const now = [withProbs('Judgment'), withProbs(': '), step('0', { '0': 0.7, '1': 0.3 }), withProbs('\n')];
    const steps = stepsOfLatestCompletion([...old, ...now], 'Judgment: 0\n')!;
    expect(levelProbabilities(DEFAULT_PROFILE, steps).levelProbs!['1']).toBeCloseTo(0.3);
  });
});

describe('isPostSamplingChoice (a runtime that reports the greedy pick, not the distribution)', () => {
  it('is true when every listed step gives one token 1 and the rest nothing; false for a real distribution', () => {
    expect(isPostSamplingChoice([...label, step('1', { '1': 1 })])).toBe(true);
    expect(isPostSamplingChoice([step('Judgment: ', {}), step('3', { '3': 1, '0': 0, '2': 0 })])).toBe(true);
    expect(isPostSamplingChoice([...label, step('1', { '1': 0.7, '0': 0.3 })])).toBe(false);
    // One real distribution anywhere is enough to read confidence from it.
    expect(isPostSamplingChoice([step('x', { x: 1 }), step('1', { '1': 0.9, '0': 0.05 })])).toBe(false);
    expect(isPostSamplingChoice([step('1', {})])).toBe(false);
  });
});
