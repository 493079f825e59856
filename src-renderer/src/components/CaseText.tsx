// Case text exactly as the source wrote it: whitespace, indentation and numbering kept, fenced code in
// monospace, search matches marked. Always React text nodes, never HTML.
import { Fragment } from 'react';

/** Words of the search box, as the store's full-text search splits them (letters, digits, underscore). */
export function searchWords(search: string | undefined): string[] {
  return (search ?? '').match(/[\p{L}\p{N}_]+/gu) ?? [];
}

const WORD_CHAR = '[\\p{L}\\p{N}_]';

/**
 * Matches what the store's search matched (store/sqlite/queue-query.ts toFtsQuery): each word whole, the last one also as
 * a word prefix; never inside a word ("for" does not light up "information"), so ] does not stop on noise.
 */
export function matcher(words: string[]): RegExp | null {
  if (words.length === 0) return null;
  const escape = (w: string) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const last = words[words.length - 1];
  const alternatives = words.map((w) => (w === last ? escape(w) : `${escape(w)}(?!${WORD_CHAR})`));
  // Longest first, so a word that starts another is not matched in its place.
  alternatives.sort((a, b) => b.length - a.length);
  return new RegExp(`(?<!${WORD_CHAR})(${alternatives.join('|')})`, 'giu');
}

/** Text with each search match wrapped in <mark data-search-hit>. */
export function Highlighted({ text, words }: { text: string; words: string[] }) {
  const re = matcher(words);
  if (!re) return <>{text}</>;
  const parts = text.split(re);
  return (
    <>
      {parts.map((part, i) =>
        i % 2 === 1 ? (
          <mark key={i} data-search-hit className="search-hit">
            {part}
          </mark>
        ) : (
          <Fragment key={i}>{part}</Fragment>
        ),
      )}
    </>
  );
}

const FENCE = /^(\s*)(```|~~~)/;

/** Splits text into prose and fenced code blocks (``` or ~~~), keeping every character. */
export function splitFences(text: string): Array<{ code: boolean; text: string }> {
  const blocks: Array<{ code: boolean; text: string }> = [];
  let current: string[] = [];
  let inCode = false;
  let fence = '';
  const flush = (code: boolean) => {
    if (current.length) blocks.push({ code, text: current.join('\n') });
    current = [];
  };
  for (const line of text.split('\n')) {
    const m = FENCE.exec(line);
    if (!inCode && m) {
      flush(false);
      inCode = true;
      fence = m[2];
      current.push(line);
    } else if (inCode && m && m[2] === fence) {
      current.push(line);
      flush(true);
      inCode = false;
    } else {
      current.push(line);
    }
  }
  flush(inCode);
  return blocks;
}

/** A block of case text shown verbatim, with fenced code in monospace. */
export function CaseText({ text, words, testId }: { text: string; words: string[]; testId?: string }) {
  const blocks = splitFences(text);
  return (
    <div className="case-text" data-testid={testId}>
      {blocks.map((block, i) =>
        block.code ? (
          <pre key={i} className="case-code" data-testid="case-code">
            <Highlighted text={block.text} words={words} />
          </pre>
        ) : (
          <span key={i} className="block">
            <Highlighted text={block.text} words={words} />
          </span>
        ),
      )}
    </div>
  );
}
