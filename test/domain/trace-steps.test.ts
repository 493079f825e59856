import { describe, expect, it } from 'vitest';
import {
  LONG_PARAGRAPH_CHARS,
  MAX_SENTENCE_CHARS,
  segmentTrace,
  stepAtOffset,
  stepText,
  traceThroughStep,
  type TraceStep,
} from '@domain/trace-steps';

const texts = (trace: string) => segmentTrace(trace).map((s) => stepText(trace, s));

/** Every step is a trimmed, non-empty, in-order slice of the trace that does not overlap the next. */
function expectWellFormed(trace: string, steps: TraceStep[]): void {
  let previousEnd = 0;
  steps.forEach((step, i) => {
    expect(step.index).toBe(i + 1);
    expect(step.start).toBeGreaterThanOrEqual(previousEnd);
    expect(step.end).toBeGreaterThan(step.start);
    const text = stepText(trace, step);
    expect(text).toBe(text.trim());
    previousEnd = step.end;
  });
  // Nothing but whitespace is left out.
  let rest = trace;
  for (const step of [...steps].reverse()) rest = rest.slice(0, step.start) + rest.slice(step.end);
  expect(rest.trim()).toBe('');
}

describe('segmentTrace', () => {
  it('gives no steps for an empty or whitespace-only trace', () => {
    expect(segmentTrace('')).toEqual([]);
    expect(segmentTrace(' \n\t\r\n \u3000 \n\n')).toEqual([]);
  });

  it('splits paragraphs and keeps offsets into the stored text', () => {
    const trace = '  First I read the question.\n\nThen I look at the image.  \n\n\nFinally I answer.';
    const steps = segmentTrace(trace);
    expect(texts(trace)).toEqual(['First I read the question.', 'Then I look at the image.', 'Finally I answer.']);
    expect(steps[0].start).toBe(2);
    expect(steps.map((s) => s.kind)).toEqual(['paragraph', 'paragraph', 'paragraph']);
    expectWellFormed(trace, steps);
  });

  it('treats CRLF and lone CR like LF, with offsets into the CRLF text', () => {
    const lf = 'One line.\nSame paragraph.\n\nSecond paragraph.';
    const crlf = lf.replace(/\n/g, '\r\n');
    const cr = lf.replace(/\n/g, '\r');
    expect(texts(crlf)).toEqual(['One line.\r\nSame paragraph.', 'Second paragraph.']);
    expect(texts(cr)).toEqual(['One line.\rSame paragraph.', 'Second paragraph.']);
    expect(segmentTrace(crlf)[1].start).toBe(crlf.indexOf('Second'));
  });

  it('splits at explicit step markers, English and Chinese, each step running to the next marker', () => {
    const trace =
      'Let me think.\nStep 1: read the query.\nIt asks about X.\n\nStep 2: check policy.\n\n- rule a\n- rule b\n\nStep 3: answer.';
    expect(texts(trace)).toEqual([
      'Let me think.',
      'Step 1: read the query.\nIt asks about X.',
      'Step 2: check policy.\n\n- rule a\n- rule b',
      'Step 3: answer.',
    ]);
    const zh = '第一步：理解问题。\n\n第二步：分析图片中的内容。\n\n第三步：给出回答。';
    expect(texts(zh)).toEqual(['第一步：理解问题。', '第二步：分析图片中的内容。', '第三步：给出回答。']);
    expect(segmentTrace(zh).every((s) => s.kind === 'numbered')).toBe(true);
    const zh2 = '步骤1 读题\n步骤2 看图\n步骤3 作答';
    expect(texts(zh2)).toHaveLength(3);
  });

  it('reads loose numbered paragraphs as steps and keeps a tight numbered list whole', () => {
    const loose = '1. Identify the object.\n\n2. Recall how it works.\n\n3. Decide.';
    expect(texts(loose)).toHaveLength(3);
    const tight = 'Plan:\n\n1. a\n2. b\n3. c\n\nDone.';
    expect(texts(tight)).toEqual(['Plan:', '1. a\n2. b\n3. c', 'Done.']);
    expect(segmentTrace(tight)[1].kind).toBe('list');
  });

  it('keeps nested lists whole, blank lines between items included', () => {
    const trace =
      'Options:\n\n- first\n  - nested a\n    continued\n  - nested b\n\n- second\n  1. deep\n\nAfter the list.';
    const steps = segmentTrace(trace);
    expect(texts(trace)).toEqual([
      'Options:',
      '- first\n  - nested a\n    continued\n  - nested b\n\n- second\n  1. deep',
      'After the list.',
    ]);
    expect(steps[1].kind).toBe('list');
  });

  it('keeps a fenced code block whole, blank lines and markers inside it included', () => {
    const trace = 'Look at this:\n\n```python\nx = 1\n\nStep 2: not a step\n```\n\nThat is the code.';
    expect(texts(trace)).toEqual(['Look at this:', '```python\nx = 1\n\nStep 2: not a step\n```', 'That is the code.']);
    const unclosed = 'Intro.\n\n~~~\ncode\n\nmore';
    expect(texts(unclosed)).toEqual(['Intro.', '~~~\ncode\n\nmore']);
  });

  it('cuts long paragraphs into sentences, Latin and fullwidth Chinese punctuation', () => {
    const english = Array.from({ length: 30 }, (_, i) => `Sentence number ${i} says something.`).join(' ');
    expect(english.length).toBeGreaterThan(LONG_PARAGRAPH_CHARS);
    const steps = segmentTrace(english);
    expect(steps).toHaveLength(30);
    expect(steps.every((s) => s.kind === 'sentence')).toBe(true);
    expectWellFormed(english, steps);

    const chinese = Array.from({ length: 60 }, (_, i) => `这是第${i}句话，用来测试分句！`).join('');
    expect(chinese.length).toBeGreaterThan(LONG_PARAGRAPH_CHARS);
    const zh = segmentTrace(chinese);
    expect(zh).toHaveLength(60);
    expect(stepText(chinese, zh[1])).toBe('这是第1句话，用来测试分句！');
    expectWellFormed(chinese, zh);

    const mixed = Array.from({ length: 40 }, (_, i) => `模型说 step ${i} is fine。然后 it continues? 是的；`).join('');
    expectWellFormed(mixed, segmentTrace(mixed));
    expect(segmentTrace(mixed).length).toBeGreaterThan(40);
  });

  it('cuts a 50,000-character line with no punctuation into bounded pieces', () => {
    const words = 'word '.repeat(10_000);
    const steps = segmentTrace(words);
    expect(steps.length).toBeGreaterThan(50);
    expect(Math.max(...steps.map((s) => s.end - s.start))).toBeLessThanOrEqual(MAX_SENTENCE_CHARS);
    expectWellFormed(words, steps);

    const blob = 'x'.repeat(50_000);
    const blobSteps = segmentTrace(blob);
    expect(blobSteps).toHaveLength(Math.ceil(50_000 / MAX_SENTENCE_CHARS));
    expectWellFormed(blob, blobSteps);
  });

  it('never splits an emoji, a ZWJ sequence, a flag or a combining mark', () => {
    const family = '👨‍👩‍👧‍👦';
    const pieces = [family, '🇫🇷', 'e\u0301', '👍🏽', '😀', 'x\u0301\u0302'];
    for (const unit of pieces) {
      const trace = unit.repeat(Math.ceil(3000 / unit.length));
      const steps = segmentTrace(trace);
      expect(steps.length).toBeGreaterThan(1);
      for (const step of steps) {
        // Each piece is whole units of the repeated cluster.
        expect(stepText(trace, step).split(unit).join('')).toBe('');
      }
      expectWellFormed(trace, steps);
    }
  });

  it('handles fullwidth punctuation and ideographic spaces', () => {
    const trace = '　首先，我看图片。\n\n　其次：分析问题？\n\n最后！回答。';
    expect(texts(trace)).toEqual(['首先，我看图片。', '其次：分析问题？', '最后！回答。']);
  });

  it('is deterministic and its ids are offsets that survive edits after them', () => {
    const trace = 'Alpha.\n\nBeta.\n\nGamma.';
    expect(segmentTrace(trace)).toEqual(segmentTrace(trace));
    const before = segmentTrace(trace).map((s) => s.start);
    const after = segmentTrace(`${trace}\n\nDelta.`).map((s) => s.start);
    expect(after.slice(0, 3)).toEqual(before);
  });

  it('cuts the trace after step k exactly as stored, and finds the step at an offset', () => {
    const trace = 'A one.\r\n\r\nB two.\r\n\r\nC three.';
    const steps = segmentTrace(trace);
    expect(traceThroughStep(trace, steps, 0)).toBe('');
    expect(traceThroughStep(trace, steps, 2)).toBe('A one.\r\n\r\nB two.');
    expect(traceThroughStep(trace, steps, 3)).toBe(trace);
    expect(stepAtOffset(steps, trace.indexOf('two'))?.index).toBe(2);
    expect(stepAtOffset(steps, trace.length)).toBeNull();
  });
});
