// A small byte-level BPE trainer for benchmark models: with only 256 byte tokens the GuardTrace prompt would be
// ~4,000 tokens instead of the ~1,100 the real Qwen tokenizer gives, which would distort per-case timings.
// Merges are learned on the texts the benchmark uses until a target text reaches a realistic token count.
import { gpt2ByteChars } from './tiny-gguf';

/** Qwen2's pre-tokenizer split (llama.cpp LLAMA_VOCAB_PRE_TYPE_QWEN2). */
const QWEN2_PRETOKENIZE =
  /(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu;

function toByteSymbols(word: string): string[] {
  const chars = gpt2ByteChars();
  return [...Buffer.from(word, 'utf8')].map((b) => chars[b]);
}

export function pretokenize(text: string): string[] {
  return text.match(QWEN2_PRETOKENIZE) ?? [];
}

/**
 * Learns merges on `corpus` until `target` tokenizes to at most `targetTokens` (or maxMerges is reached).
 * Returns merges in "a b" form, in order, and the token count of `target` reached.
 */
export function trainMerges(
  corpus: string,
  target: string,
  targetTokens: number,
  maxMerges = 20_000,
): { merges: string[]; targetCount: number } {
  const words = new Map<string, { symbols: string[]; count: number; inTarget: number }>();
  const add = (text: string, isTarget: boolean) => {
    for (const w of pretokenize(text)) {
      const e = words.get(w) ?? { symbols: toByteSymbols(w), count: 0, inTarget: 0 };
      e.count++;
      if (isTarget) e.inTarget++;
      words.set(w, e);
    }
  };
  add(corpus, false);
  add(target, true);
  const targetCount = () => [...words.values()].reduce((n, e) => n + e.inTarget * e.symbols.length, 0);
  const merges: string[] = [];
  let current = targetCount();
  while (current > targetTokens && merges.length < maxMerges) {
    const pairs = new Map<string, number>();
    for (const e of words.values()) {
      for (let i = 0; i + 1 < e.symbols.length; i++) {
        const key = `${e.symbols[i]} ${e.symbols[i + 1]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + e.count);
      }
    }
    let best: string | null = null;
    let bestCount = 0;
    for (const [k, c] of pairs)
      if (c > bestCount || (c === bestCount && best !== null && k < best)) [best, bestCount] = [k, c];
    if (!best) break;
    const [a, b] = best.split(' ');
    for (const e of words.values()) {
      const out: string[] = [];
      for (let i = 0; i < e.symbols.length; i++) {
        if (i + 1 < e.symbols.length && e.symbols[i] === a && e.symbols[i + 1] === b) {
          out.push(a + b);
          i++;
        } else out.push(e.symbols[i]);
      }
      e.symbols = out;
    }
    merges.push(best);
    current = targetCount();
  }
  return { merges, targetCount: current };
}
