// Synthetic cases for the store benchmarks: deterministic, Zipf-like word frequencies as in real text.
import { writeFileSync } from 'node:fs';
import { RISK_LEVELS } from '@domain/types';

/** Deterministic PRNG (mulberry32) so every run measures the same data. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
export const random = prng(42);
export const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];

// A vocabulary with a Zipf-like spread: some words are everywhere, most are rare, as in real text.
const VOCABULARY = Array.from(
  { length: 5000 },
  (_, i) => `w${i.toString(36)}${['lock', 'pill', 'cat', 'bank', 'map', 'code', 'fire', 'law'][i % 8]}`,
);
export const word = () => VOCABULARY[Math.floor(VOCABULARY.length * random() ** 3)];
const sentence = (words: number) => Array.from({ length: words }, word).join(' ');

/** Writes `count` JSONL cases (query ~15 words, thinking ~70, response ~35, gold label, meta); every query starts "Case". */
export function generateSyntheticCases(file: string, count: number): void {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    lines.push(
      JSON.stringify({
        question: `Case ${i}: ${sentence(15)}?`,
        thinking: sentence(70),
        response: sentence(35),
        gold: pick(RISK_LEVELS),
        meta: { source: 'bench', n: i },
      }),
    );
  }
  writeFileSync(file, lines.join('\n') + '\n');
}
