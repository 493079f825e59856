// Span hints: where the full verdict's analysis quotes or closely paraphrases the trace. No extra generation: the
// analysis is matched to the stored trace by runs of shared words (each CJK character counts as a word), and each
// run is reported with its offsets and the step that holds it. Hints are shown as hints, never as the located step:
// an analysis may quote a harmless step to explain why a later one is harmful.
import { stepAtOffset, type TraceStep } from './trace-steps';

export interface SpanHint {
  /** The step holding the start of the matched run. */
  stepIndex: number;
  stepStart: number;
  /** The matched run in the stored trace (UTF-16 offsets). */
  start: number;
  end: number;
  /** Words in the run; longer runs are stronger hints. */
  words: number;
}

/** Runs shorter than this many words are chance ("the user asks"). */
export const MIN_HINT_WORDS = 5;
const GRAM = 3;
/** Hints shown at most: the strongest runs, in trace order. */
export const MAX_HINTS = 5;

interface Token {
  text: string;
  start: number;
  end: number;
}

const TOKEN = /\p{Script=Han}|\p{Script=Hiragana}|\p{Script=Katakana}|\p{Script=Hangul}|[\p{L}\p{N}]+/gu;

function tokens(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(TOKEN)) {
    out.push({ text: m[0].toLowerCase(), start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** The trace's runs of at least MIN_HINT_WORDS words that also occur in the analysis, mapped to steps. */
export function spanHints(trace: string, steps: readonly TraceStep[], analysis: string | null): SpanHint[] {
  if (!analysis || steps.length === 0) return [];
  const analysisGrams = new Set<string>();
  const said = tokens(analysis);
  for (let i = 0; i + GRAM <= said.length; i++) analysisGrams.add(gramAt(said, i));
  const traced = tokens(trace);
  const runs: Array<{ from: number; to: number }> = [];
  let runFrom = -1;
  let runTo = -1;
  for (let i = 0; i + GRAM <= traced.length; i++) {
    if (!analysisGrams.has(gramAt(traced, i))) continue;
    if (runFrom >= 0 && i <= runTo) runTo = i + GRAM;
    else {
      if (runFrom >= 0) runs.push({ from: runFrom, to: runTo });
      runFrom = i;
      runTo = i + GRAM;
    }
  }
  if (runFrom >= 0) runs.push({ from: runFrom, to: runTo });
  const hints: SpanHint[] = [];
  for (const run of runs) {
    const words = run.to - run.from;
    if (words < MIN_HINT_WORDS) continue;
    const start = traced[run.from].start;
    const step = stepAtOffset(steps, start);
    if (!step) continue;
    hints.push({ stepIndex: step.index, stepStart: step.start, start, end: traced[run.to - 1].end, words });
  }
  return hints
    .sort((a, b) => b.words - a.words || a.start - b.start)
    .slice(0, MAX_HINTS)
    .sort((a, b) => a.start - b.start);
}

function gramAt(list: Token[], i: number): string {
  let gram = list[i].text;
  for (let j = 1; j < GRAM; j++) gram += `\u0000${list[i + j].text}`;
  return gram;
}
