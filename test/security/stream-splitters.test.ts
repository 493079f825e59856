// The two streaming splitters every untrusted file goes through, fed the same input cut at every possible chunk
// boundary: they must find the same records whatever the cut, and never hold a record over the cap.
import { describe, expect, it } from 'vitest';
import { boundedLines } from '@main/io/safe-read/bounded-lines';
import { JsonSplitter, type JsonPiece } from '@main/io/safe-read/json-splitter';

async function* chunksOf(input: Buffer, cut: number): AsyncGenerator<Buffer> {
  yield input.subarray(0, cut);
  yield input.subarray(cut);
}

async function collectLines(input: Buffer, cut: number, cap: number) {
  const out = [];
  for await (const line of boundedLines(chunksOf(input, cut), cap)) out.push(line);
  return out;
}

function split(input: Buffer, cut: number, options: ConstructorParameters<typeof JsonSplitter>[0]): JsonPiece[] {
  const splitter = new JsonSplitter(options);
  const pieces = [...splitter.push(input.subarray(0, cut)), ...splitter.push(input.subarray(cut))];
  splitter.end();
  return pieces;
}

describe('boundedLines', () => {
  it('splits lines at any chunk boundary, strips CR, and reports a line over the cap by its length only', async () => {
    const input = Buffer.from('one\r\ntwo\n' + 'x'.repeat(40) + '\n\nfünf');
    for (let cut = 0; cut <= input.length; cut++) {
      expect(await collectLines(input, cut, 10)).toEqual([
        { line: 1, text: 'one' },
        { line: 2, text: 'two' },
        { line: 3, oversizeBytes: 40 },
        { line: 4, text: '' },
        { line: 5, text: 'fünf' },
      ]);
    }
  });
});

describe('JsonSplitter', () => {
  it('hands out the elements of a top-level array whatever the chunking, with strings, escapes and nesting', () => {
    const elements = [{ a: '],}"\\' }, [1, [2, { b: '[' }]], 'str"ing', 12.5e3, null, true, { ü: 'ß' }];
    const input = Buffer.from('\uFEFF [ ' + elements.map((e) => JSON.stringify(e)).join(' ,\n ') + ' ] \n');
    for (let cut = 0; cut <= input.length; cut++) {
      const pieces = split(input, cut, { top: 'array', maxPieceBytes: 1000 });
      expect(pieces.map((p) => JSON.parse(p.text!) as unknown)).toEqual(elements);
      expect(pieces.map((p) => p.index)).toEqual(elements.map((_, i) => i));
    }
  });

  it('skips an element over the cap unread, keeping its neighbours', () => {
    const input = Buffer.from(`[1, "${'y'.repeat(100)}", {"k": [${'9,'.repeat(50)}9]}, 2]`);
    for (let cut = 0; cut <= input.length; cut += 7) {
      const pieces = split(input, cut, { top: 'array', maxPieceBytes: 20 });
      expect(pieces.map((p) => p.text)).toEqual(['1', null, null, '2']);
      expect(pieces[1].bytes).toBe(102);
    }
  });

  it('streams one array member of a top-level object and hands out the other members whole', () => {
    const body = { format: 'f', decisions: [{ id: 1 }, { id: 2, note: '}]' }], version: 1, nested: { decisions: [3] } };
    const input = Buffer.from(JSON.stringify(body, null, 2));
    for (let cut = 0; cut <= input.length; cut += 3) {
      const pieces = split(input, cut, { top: 'object', streamKey: 'decisions', maxPieceBytes: 1000 });
      expect(pieces.map((p) => [p.key, p.index, JSON.parse(p.text!) as unknown])).toEqual([
        ['format', -1, 'f'],
        ['decisions', 0, { id: 1 }],
        ['decisions', 1, { id: 2, note: '}]' }],
        ['version', -1, 1],
        ['nested', -1, { decisions: [3] }],
      ]);
    }
  });

  it('refuses a document with the wrong outline, one cut short and trailing content', () => {
    const run =
      (text: string, top: 'array' | 'object' = 'array') =>
      () =>
        split(Buffer.from(text), 1, { top, maxPieceBytes: 100 });
    expect(run('{"a": 1}')).toThrow(/holds a JSON object, not an array/);
    expect(run('[1, 2')).toThrow(/ends in the middle of the document/);
    expect(run('[1] [2]')).toThrow(/more after the end/);
    expect(run('')).toThrow(/empty/);
    expect(run('{"a" 1}', 'object')).toThrow(/":" was expected after the member "a"/);
    expect(run('[1 2]')).toThrow(/"," or the end of the array was expected/);
  });
});
