// The reasoning trace cut into steps, for locating where it goes wrong (docs/step-localization.md).
// Pure and deterministic: the same trace always gives the same steps, and a step is named by where it starts in the
// stored trace (a UTF-16 offset, as JavaScript indexes strings), never by a rewritten copy of the text. Rules are
// our own rather than ICU's sentence breaker, whose results may change with the ICU version a runtime ships.

/** Bumped whenever a rule below changes: searches and labels record the version their step numbers came from. */
export const SEGMENTER_VERSION = 1;

export type TraceStepKind = 'numbered' | 'paragraph' | 'sentence' | 'code' | 'list';

export interface TraceStep {
  /** 1-based position among the trace's steps ("step k of N"). */
  index: number;
  /** Offset of the step's first non-space character in the stored trace: the step's stable id. */
  start: number;
  /** Offset just after its last non-space character. */
  end: number;
  kind: TraceStepKind;
}

/** A paragraph longer than this is cut into sentences. */
export const LONG_PARAGRAPH_CHARS = 600;
/** A sentence longer than this (a run-on line, a 50,000-character blob) is cut at the last space or mark before it. */
export const MAX_SENTENCE_CHARS = 800;

interface Line {
  start: number;
  /** End of the text, before the line break. */
  end: number;
  text: string;
}

interface Block {
  start: number;
  end: number;
  kind: 'paragraph' | 'code' | 'list';
  /** The block starts with an explicit step marker ("Step 3:", "第三步", "3." at the start of a paragraph). */
  stepNumber: number | null;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const BULLET = /^\s*(?:[-*+•·▪‣◦–—]|[（(]?\d{1,3}[.)）、．]|[（(]?[a-zA-Z][.)）]|[①-⑳]|[一二三四五六七八九十]+、)\s*/u;
const STEP_MARKER =
  /^\s*(?:#{1,6}\s*)?(?:\*\*|__)?\s*(?:step\s*(\d{1,4})|第\s*([0-9一二三四五六七八九十百]{1,6})\s*步|步骤\s*([0-9一二三四五六七八九十百]{1,6}))/iu;
const NUMBERED_LINE = /^\s{0,3}(\d{1,4})[.)）、．]\s*\S/u;

/** The trace's steps in order. Whitespace-only or empty traces have none. */
export function segmentTrace(trace: string): TraceStep[] {
  const blocks = readBlocks(splitLines(trace));
  const units = numberedUnits(blocks) ?? blocks.map((b) => ({ start: b.start, end: b.end, kind: b.kind }));
  const steps: Array<Omit<TraceStep, 'index'>> = [];
  for (const unit of units) {
    if (unit.kind === 'paragraph' && unit.end - unit.start > LONG_PARAGRAPH_CHARS) {
      steps.push(...sentences(trace, unit.start, unit.end).map((s) => ({ ...s, kind: 'sentence' as const })));
    } else if (unit.kind !== 'code' && unit.kind !== 'list' && unit.end - unit.start > MAX_SENTENCE_CHARS * 4) {
      // A numbered step of many paragraphs stays whole up to a point; past it a probe would not be "one step".
      steps.push(...sentences(trace, unit.start, unit.end).map((s) => ({ ...s, kind: unit.kind })));
    } else {
      steps.push(unit);
    }
  }
  return steps.filter((s) => s.end > s.start).map((s, i) => ({ ...s, index: i + 1 }));
}

/** The text of one step, as stored. */
export function stepText(trace: string, step: Pick<TraceStep, 'start' | 'end'>): string {
  return trace.slice(step.start, step.end);
}

/** The trace up to the end of step k (k = 0: empty), exactly as stored: what a prefix probe sends as the thinking. */
export function traceThroughStep(trace: string, steps: readonly TraceStep[], k: number): string {
  if (k <= 0) return '';
  return trace.slice(0, steps[Math.min(k, steps.length) - 1].end);
}

/** The step containing a character offset (or the nearest one after it); null past the last step. */
export function stepAtOffset(steps: readonly TraceStep[], offset: number): TraceStep | null {
  for (const step of steps) if (offset < step.end) return step;
  return null;
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  const breaks = /\r\n|\r|\n|\u2028|\u2029/g;
  let start = 0;
  for (let m = breaks.exec(text); m; m = breaks.exec(text)) {
    lines.push({ start, end: m.index, text: text.slice(start, m.index) });
    start = m.index + m[0].length;
  }
  lines.push({ start, end: text.length, text: text.slice(start) });
  return lines;
}

const isBlank = (line: Line) => line.text.trim() === '';

/** Paragraphs, fenced code blocks and lists (with their nested items and continuation lines), trimmed. */
function readBlocks(lines: Line[]): Block[] {
  const blocks: Block[] = [];
  let i = 0;
  const push = (from: number, to: number, kind: Block['kind']) => {
    const first = lines[from];
    const start = first.start + (first.text.length - first.text.trimStart().length);
    const last = lines[to];
    const end = last.start + last.text.trimEnd().length;
    if (end > start) blocks.push({ start, end, kind, stepNumber: stepNumberOf(first.text) });
  };
  while (i < lines.length) {
    const line = lines[i];
    if (isBlank(line)) {
      i++;
      continue;
    }
    const fence = FENCE.exec(line.text);
    if (fence) {
      // Everything up to the closing fence (or the end of the trace) is one step, blank lines included.
      let j = i + 1;
      while (j < lines.length && !new RegExp(`^ {0,3}${fence[1][0]}{${fence[1].length},}\\s*$`).test(lines[j].text))
        j++;
      const last = Math.min(j, lines.length - 1);
      push(i, last, 'code');
      i = last + 1;
      continue;
    }
    const startsList = BULLET.test(line.text) && !STEP_MARKER.test(line.text);
    let j = i;
    if (startsList) {
      // A list runs over its items, their indented continuations and nested items, and single blank lines between
      // items; it ends at text that is neither.
      while (j + 1 < lines.length) {
        const next = lines[j + 1];
        if (!isBlank(next)) {
          if (FENCE.test(next.text) && !/^\s{2,}/.test(next.text)) break;
          if (BULLET.test(next.text) || /^\s+\S/.test(next.text)) {
            j++;
            continue;
          }
          break;
        }
        const after = lines[j + 2];
        // "1. …", blank, "2. …" at the margin is a loose numbered list: each item is its own block (numbered steps).
        const looseNumbered = after && NUMBERED_LINE.test(after.text) && !/^\s{2,}/.test(after.text);
        if (after && !isBlank(after) && !looseNumbered && (BULLET.test(after.text) || /^\s{2,}\S/.test(after.text))) {
          j += 2;
          continue;
        }
        break;
      }
      push(i, j, 'list');
    } else {
      while (j + 1 < lines.length && !isBlank(lines[j + 1]) && !FENCE.test(lines[j + 1].text)) {
        // An explicit step marker inside a paragraph starts a new block, so "Step 2" is never buried in "Step 1".
        if (STEP_MARKER.test(lines[j + 1].text)) break;
        j++;
      }
      push(i, j, 'paragraph');
    }
    i = j + 1;
  }
  return blocks;
}

function stepNumberOf(text: string): number | null {
  const marker = STEP_MARKER.exec(text);
  if (marker) return numberValue(marker[1] ?? marker[2] ?? marker[3]);
  const numbered = NUMBERED_LINE.exec(text);
  return numbered ? Number(numbered[1]) : null;
}

const CHINESE_DIGITS: Record<string, number> = { 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };

function numberValue(text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  // 十 = 10, 十二 = 12, 二十 = 20, 二十三 = 23, 一百 = 100 (enough for step numbers).
  let total = 0;
  let digit = 0;
  for (const ch of text) {
    if (ch === '百') {
      total += (digit || 1) * 100;
      digit = 0;
    } else if (ch === '十') {
      total += (digit || 1) * 10;
      digit = 0;
    } else digit = CHINESE_DIGITS[ch] ?? 0;
  }
  return total + digit;
}

/**
 * When the trace is written as numbered steps (at least two blocks starting "Step 1", "Step 2"…, "第一步"…, or
 * paragraphs starting "1.", "2."… in order), each step runs from its marker to the next, whatever paragraphs, lists
 * or code it holds. Text before the first marker is its own step. Returns null for traces not written that way.
 */
function numberedUnits(blocks: Block[]): Array<Omit<TraceStep, 'index'>> | null {
  const markers: number[] = [];
  let expected = 1;
  blocks.forEach((block, i) => {
    if (block.kind !== 'code' && block.stepNumber === expected) {
      markers.push(i);
      expected++;
    }
  });
  // A numbered list written as one block is a list ("lists kept whole"), not steps: markers must be separate blocks.
  if (markers.length < 2) return null;
  const units: Array<Omit<TraceStep, 'index'>> = [];
  if (markers[0] > 0)
    units.push(...blocks.slice(0, markers[0]).map((b) => ({ start: b.start, end: b.end, kind: b.kind })));
  markers.forEach((from, m) => {
    const to = (markers[m + 1] ?? blocks.length) - 1;
    units.push({ start: blocks[from].start, end: blocks[to].end, kind: 'numbered' });
  });
  return units;
}

// A sentence ends after ./!/?/… followed by space (Latin), or after a fullwidth 。！？； (no space in Chinese), with
// any closing quotes or brackets that follow.
const SENTENCE_END = /(?:[.!?…]+["'”’)\]]*(?=\s)|[。！？；]+["'”’）】」』]*|[\r\n]+)/gu;
const SOFT_BREAK = /[\s,，、:：;；]/u;

function sentences(text: string, from: number, to: number): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  const body = text.slice(from, to);
  let last = 0;
  const pushRange = (a: number, b: number) => {
    for (const piece of hardCut(body, a, b)) {
      const trimmed = trimRange(body, piece.start, piece.end);
      if (trimmed.end > trimmed.start) out.push({ start: from + trimmed.start, end: from + trimmed.end });
    }
  };
  SENTENCE_END.lastIndex = 0;
  for (let m = SENTENCE_END.exec(body); m; m = SENTENCE_END.exec(body)) {
    const end = m.index + m[0].length;
    pushRange(last, end);
    last = end;
  }
  pushRange(last, body.length);
  return out;
}

/** Cuts a run longer than MAX_SENTENCE_CHARS at the last soft break before the limit, else at a safe character. */
function hardCut(body: string, start: number, end: number): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  let from = start;
  while (end - from > MAX_SENTENCE_CHARS) {
    let cut = from + MAX_SENTENCE_CHARS;
    let soft = cut;
    while (soft > from + MAX_SENTENCE_CHARS / 2 && !SOFT_BREAK.test(body[soft - 1])) soft--;
    cut = soft > from + MAX_SENTENCE_CHARS / 2 ? soft : safeCut(body, cut, from);
    out.push({ start: from, end: cut });
    from = cut;
  }
  out.push({ start: from, end });
  return out;
}

/** Moves a cut back so it never splits a surrogate pair, a combining mark, a ZWJ emoji sequence or a flag. */
function safeCut(body: string, cut: number, floor: number): number {
  const glued = (i: number) => {
    const code = body.charCodeAt(i);
    const before = body.charCodeAt(i - 1);
    return (
      (code >= 0xdc00 && code <= 0xdfff) || // low surrogate
      code === 0x200d ||
      before === 0x200d ||
      (code >= 0xfe00 && code <= 0xfe0f) ||
      /^\p{M}/u.test(body.slice(i, i + 1)) ||
      isSkinToneOrTag(body.codePointAt(i) ?? 0) ||
      (isRegionalIndicator(body.codePointAt(i) ?? 0) &&
        isRegionalIndicator(body.codePointAt(i - 2) ?? 0) &&
        !evenFlagStart(body, i))
    );
  };
  let at = cut;
  while (at > floor + 1 && glued(at)) at--;
  return at > floor ? at : cut;
}

function isSkinToneOrTag(cp: number): boolean {
  return (cp >= 0x1f3fb && cp <= 0x1f3ff) || (cp >= 0xe0020 && cp <= 0xe007f);
}

function isRegionalIndicator(cp: number): boolean {
  return cp >= 0x1f1e6 && cp <= 0x1f1ff;
}

/** True when `i` starts a flag: an even number of regional indicators precede it in the run. */
function evenFlagStart(body: string, i: number): boolean {
  let count = 0;
  for (let j = i - 2; j >= 0 && isRegionalIndicator(body.codePointAt(j) ?? 0); j -= 2) count++;
  return count % 2 === 0;
}

function trimRange(body: string, start: number, end: number): { start: number; end: number } {
  while (start < end && /\s/u.test(body[start])) start++;
  while (end > start && /\s/u.test(body[end - 1])) end--;
  return { start, end };
}
