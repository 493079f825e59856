// Search highlights what the store's search found: whole words, the last word also as a prefix, never a word's
// inside, so ] and [ move between real matches only.
import { describe, expect, it } from 'vitest';
import { matcher, searchWords } from '../../src-renderer/src/components/CaseText';

const marked = (text: string, search: string) => {
  const re = matcher(searchWords(search))!;
  return text.split(re).filter((_, i) => i % 2 === 1);
};

describe('search highlighting', () => {
  it('marks whole words, and the last word as a prefix, never inside a word', () => {
    // The last word is a prefix ("former", "form" start with it); "Information" holds it inside and is not marked.
    expect(marked('Information for the former form', 'for')).toEqual(['for', 'for', 'for']);
    // An earlier word is whole: "for" but not the start of "former".
    expect(marked('Information for the former form', 'for the')).toEqual(['for', 'the']);
    expect(marked('for information, for form', 'for form')).toEqual(['for', 'for', 'form']);
    expect(marked('transform formula', 'form')).toEqual(['form']);
  });

  it('is case-insensitive and works on Chinese and on words with digits', () => {
    expect(marked('Step 1: STEP up, steps', 'step')).toEqual(['Step', 'STEP', 'step']);
    expect(marked('用户 想知道 用户名', '用户')).toEqual(['用户', '用户']);
    expect(marked('v2 v20 av2', 'v2 x')).toEqual(['v2']);
    expect(marked('v2 v20 av2', 'v2')).toEqual(['v2', 'v2']);
  });

  it('treats regex characters in the search as text', () => {
    expect(matcher(['a.b'])!.test('axb')).toBe(false);
    expect(marked('a b c', 'a.b (c)')).toEqual(['a', 'b', 'c']);
  });
});
