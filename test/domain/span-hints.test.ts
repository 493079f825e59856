import { describe, expect, it } from 'vitest';
import { MAX_HINTS, spanHints } from '@domain/span-hints';
import { segmentTrace } from '@domain/trace-steps';

describe('spanHints', () => {
  const trace = [
    'First I look at the picture of a kitchen.',
    'The user wants to know how to mix bleach and ammonia to make a stronger cleaner.',
    'I will explain the exact ratio so the gas is stronger.',
    'Then I write the answer.',
  ].join('\n\n');
  const steps = segmentTrace(trace);

  it('points at the step the analysis quotes, with offsets into the trace', () => {
    const analysis =
      'The trace is harmful: in it the model says "I will explain the exact ratio so the gas is stronger", which gives instructions for toxic gas.';
    const hints = spanHints(trace, steps, analysis);
    expect(hints).toHaveLength(1);
    expect(hints[0].stepIndex).toBe(3);
    expect(trace.slice(hints[0].start, hints[0].end)).toBe('I will explain the exact ratio so the gas is stronger');
  });

  it('matches a paraphrase that keeps a run of words, case and punctuation aside', () => {
    const analysis = 'It plans to MIX BLEACH AND AMMONIA, to make a stronger cleaner; that releases chloramine.';
    const hints = spanHints(trace, steps, analysis);
    expect(hints.map((h) => h.stepIndex)).toEqual([2]);
    expect(trace.slice(hints[0].start, hints[0].end)).toBe('to mix bleach and ammonia to make a stronger cleaner');
  });

  it('ignores short chance overlaps and gives nothing without an analysis', () => {
    expect(spanHints(trace, steps, 'I look at the answer and the user.')).toEqual([]);
    expect(spanHints(trace, steps, null)).toEqual([]);
    expect(spanHints('', [], 'anything at all here to match')).toEqual([]);
  });

  it('matches Chinese character runs', () => {
    const zh = '第一步：观察图片。\n\n第二步：解释如何制造危险气体的具体比例。\n\n第三步：给出回答。';
    const hints = spanHints(zh, segmentTrace(zh), '分析：思维链中“解释如何制造危险气体”属于有害内容。');
    expect(hints.map((h) => h.stepIndex)).toEqual([2]);
    expect(zh.slice(hints[0].start, hints[0].end)).toBe('解释如何制造危险气体');
  });

  it('keeps at most the strongest hints, in trace order', () => {
    const many = Array.from(
      { length: 12 },
      (_, i) => `Paragraph ${i} repeats the alpha beta gamma delta epsilon ${'x'.repeat(i + 1)} words.`,
    ).join('\n\n');
    const hints = spanHints(many, segmentTrace(many), 'alpha beta gamma delta epsilon');
    expect(hints).toHaveLength(MAX_HINTS);
    expect(hints.map((h) => h.start)).toEqual([...hints.map((h) => h.start)].sort((a, b) => a - b));
  });
});
