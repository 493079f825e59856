// p(level) at the position where the model wrote its judgment, from the top probabilities the runtime reports for each
// generated token. Works on token texts, so it does not care how a tokenizer splits a level: Qwen writes "0.5" as
// three tokens "0" "." "5", so p(0.5) = p("0") · p("." | "0") · p("5" | "0."), and p(0) = p("0") · p(the number ends).
// The "number ends" factor only separates a level from a longer level it begins (0 from 0.5); p(1) is p("1").
// Along the path the model took, every factor is observed. Where a level leaves that path (the model wrote "1", so
// "0" vs "0.5" after a "0" was never computed), the unobserved continuation counts as 1: that level's value is then
// an upper bound, and the note says so. docs/engine.md ("Confidence") explains the choice.
import type { LevelProbs } from '@domain/verdict-provenance';
import type { GuardModelProfile } from './profile';

/** One generated token: its text and the runtime's top candidates at that position (probabilities, not logs). */
export interface TokenStep {
  text: string;
  top: Array<{ text: string; prob: number }>;
}

export interface LevelProbsResult {
  levelProbs: LevelProbs | null;
  note: string | null;
}

const CONTINUES_NUMBER = /^[.\d]/;

function probOf(step: TokenStep, text: string, trimStart: boolean): number | null {
  for (const candidate of step.top) {
    const t = trimStart ? candidate.text.trimStart() : candidate.text;
    if (t === text) return candidate.prob;
  }
  return null;
}

/**
 * Where the judgment value starts: the index of the first token after the last judgment label that holds a non-space
 * character, or why there is none. Works on the tokens' texts only, so an engine can find the position before it has
 * any probabilities (node-llama-cpp asks for them there alone).
 */
export function judgmentValueStart(
  profile: GuardModelProfile,
  texts: readonly string[],
): { first: number } | { first: null; note: string } {
  const starts: number[] = [];
  let text = '';
  for (const piece of texts) {
    starts.push(text.length);
    text += piece;
  }
  let labelEnd = -1;
  // Trailing spaces are left out: a tokenizer may fuse the space with the digit (" 1").
  for (const m of text.matchAll(new RegExp(profile.judgmentLabel.source, profile.judgmentLabel.flags)))
    labelEnd = m.index + m[0].trimEnd().length;
  if (labelEnd < 0) return { first: null, note: 'no judgment label in the output' };
  // The value's first token: the first one that has a non-space character at or after the end of the label.
  let first = -1;
  for (let i = 0; i < texts.length; i++) {
    const end = starts[i] + texts[i].length;
    if (end <= labelEnd) continue;
    if (text.slice(Math.max(starts[i], labelEnd), end).trim() !== '') {
      first = i;
      break;
    }
  }
  if (first < 0) return { first: null, note: 'the output ends right after the judgment label' };
  if (starts[first] < labelEnd)
    return { first: null, note: 'the judgment value shares a token with its label; no per-level probability' };
  return { first };
}

export function levelProbabilities(profile: GuardModelProfile, steps: TokenStep[]): LevelProbsResult {
  if (steps.length === 0) return { levelProbs: null, note: 'the model generated nothing' };
  if (steps.every((s) => s.top.length === 0))
    return { levelProbs: null, note: 'the runtime returned no token probabilities' };
  const located = judgmentValueStart(
    profile,
    steps.map((s) => s.text),
  );
  if (located.first === null) return { levelProbs: null, note: located.note };
  const first = located.first;

  const levelProbs: LevelProbs = {};
  let upperBound = false;
  let belowTop = false;
  for (const level of profile.levels) {
    // Only a level that another level continues ("0" of "0.5") needs the number to end after it.
    const continuedByAnother = profile.levels.some((o) => o.text !== level.text && o.text.startsWith(level.text));
    let p = 1;
    let matched = '';
    let i = first;
    let done = false;
    while (!done) {
      const remaining = level.text.slice(matched.length);
      const step = steps[i];
      if (remaining === '') {
        // The level's text is complete: it is this level only if the number ends here.
        if (step && continuedByAnother) {
          const continuing = step.top
            .filter((c) => CONTINUES_NUMBER.test(i === first ? c.text.trimStart() : c.text))
            .reduce((sum, c) => sum + c.prob, 0);
          p *= Math.max(0, 1 - continuing);
        }
        done = true;
        break;
      }
      if (!step) {
        // The output ended in the middle of this level's text.
        p = 0;
        done = true;
        break;
      }
      const generated = i === first ? step.text.trimStart() : step.text;
      if (generated !== '' && remaining.startsWith(generated)) {
        const pg = probOf(step, generated, i === first);
        if (pg === null) {
          p = 0;
          belowTop = true;
          done = true;
          break;
        }
        p *= pg;
        matched += generated;
        i++;
        continue;
      }
      // The level leaves the generated path here: take the best candidate along it; the rest was never computed.
      let best: { text: string; prob: number } | null = null;
      for (const c of step.top) {
        const t = i === first ? c.text.trimStart() : c.text;
        if (t !== '' && remaining.startsWith(t) && (!best || t.length > best.text.length))
          best = { text: t, prob: c.prob };
      }
      if (!best) {
        p = 0;
        belowTop = true;
      } else {
        p *= best.prob;
        upperBound = true;
      }
      done = true;
    }
    levelProbs[String(level.value)] = Math.min(1, Math.max(0, p));
  }
  const notes = [
    ...(upperBound ? ['levels the model did not write are upper bounds (their continuation was never computed)'] : []),
    ...(belowTop ? ['a level absent from the top candidates counts as 0'] : []),
  ];
  return { levelProbs, note: notes.length ? notes.join('; ') : null };
}

/**
 * The steps of the latest completion out of a list that may hold earlier ones too: llama.node 1.7.15 keeps every
 * completion's token probabilities on the context and returns all of them (measured: 5, then 5 + 3, … entries), so
 * its `completion_probabilities` must be cut back to the tokens that spell this completion's text. Walks back from the
 * end until the pieces spell `text` exactly; a trailing end-of-generation piece that is not part of the text is
 * allowed. Null when they never line up (the caller then stores no confidence, with the reason).
 */
export function stepsOfLatestCompletion(all: TokenStep[], text: string): TokenStep[] | null {
  if (text === '') return [];
  for (const end of [all.length, all.length - 1]) {
    let spelled = '';
    for (let k = end - 1; k >= 0; k--) {
      spelled = all[k]!.text + spelled;
      if (spelled.length > text.length) break;
      if (spelled === text) return all.slice(k, end);
    }
  }
  return null;
}

/**
 * True when the runtime's "probabilities" are the sampler's choice, not the model's distribution: every step that
 * lists candidates gives its chosen token 1 and nothing else any mass. llama.node 1.7.15 does this under greedy
 * decoding (measured on the tiny model: {"0": 0, "1": 0, "2": 0, "3": 1} where node-llama-cpp's pre-sampling
 * distribution gave each level about 0.003). Such values are a 0/1, not a confidence.
 */
export function isPostSamplingChoice(steps: readonly TokenStep[]): boolean {
  const listed = steps.filter((s) => s.top.length > 0);
  return (
    listed.length > 0 &&
    listed.every((s) => {
      const total = s.top.reduce((sum, c) => sum + c.prob, 0);
      const best = Math.max(...s.top.map((c) => c.prob));
      return Math.abs(best - 1) < 1e-6 && Math.abs(total - 1) < 1e-6;
    })
  );
}
