// The record reader thread's protocol (io/import/record-reader.ts), run over a MessageChannel in this thread: the
// same batches as reading in-thread, at most BATCHES_AHEAD batches sent ahead, and a reader that goes away mid-file
// fails the import with a readable IoError instead of leaving it waiting.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { IoError } from '@main/io/import';
import {
  BATCHES_AHEAD,
  readRecordsInThread,
  recordsFrom,
  serveRecords,
  type ParsedRecord,
  type ReaderMessage,
} from '@main/io/import/record-reader';
import { tempDir } from '../helpers/temp-dir';

function jsonlFile(lines: string[]): string {
  const file = path.join(tempDir('guardtrace-record-reader-'), 'cases.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const record = (i: number) => JSON.stringify({ question: `q${i}`, thinking: 't', response: `r${i}` });

async function collect(batches: AsyncIterable<ParsedRecord[]>): Promise<ParsedRecord[][]> {
  const all: ParsedRecord[][] = [];
  for await (const batch of batches) all.push(batch);
  return all;
}

describe('record reader', () => {
  it('sends the same parsed batches, errors and ids as reading in-thread', async () => {
    const file = jsonlFile([
      record(1),
      '{"broken',
      record(3),
      JSON.stringify({ id: 's1', question: '', thinking: '', response: 'r' }),
      record(5),
    ]);
    const local = await readRecordsInThread(file, 'jsonl', 2);
    const channel = new MessageChannel();
    serveRecords(channel.port2);
    const remote = await recordsFrom(channel.port1, () => undefined)(file, 'jsonl', 2);
    try {
      const expected = await collect(local.batches);
      expect(expected.map((batch) => batch.length)).toEqual([2, 2, 1]);
      expect(expected.flat().map((item) => item.ok)).toEqual([true, false, true, false, true]);
      expect(await collect(remote.batches)).toEqual(expected);
      expect(remote.total()).toBe(5);
    } finally {
      channel.port1.close();
    }
  });

  it(`sends at most ${BATCHES_AHEAD} batches that the writer has not taken`, async () => {
    const file = jsonlFile(Array.from({ length: 50 }, (_, i) => record(i)));
    const channel = new MessageChannel();
    serveRecords(channel.port2);
    const batches: number[] = [];
    channel.port1.on('message', (message: ReaderMessage) => {
      if (message.type === 'batch') batches.push(message.records.length);
    });
    try {
      channel.port1.postMessage({ type: 'start', file, format: 'jsonl', batchSize: 5 });
      const waitFor = async (count: number) => {
        for (let i = 0; i < 500 && batches.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      };
      await waitFor(BATCHES_AHEAD);
      await new Promise((resolve) => setTimeout(resolve, 150)); // time enough to send more, were it allowed to
      expect(batches).toHaveLength(BATCHES_AHEAD);
      channel.port1.postMessage({ type: 'taken' });
      await waitFor(BATCHES_AHEAD + 1);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(batches).toHaveLength(BATCHES_AHEAD + 1);
    } finally {
      channel.port1.close();
    }
  });

  it('fails with an IoError naming the file when the reader goes away before the end', async () => {
    const file = jsonlFile([record(1)]);
    const channel = new MessageChannel();
    // No reader serves this channel; its end is closed, as when the reader thread dies.
    const batches = (
      await recordsFrom(channel.port1, (listener) => channel.port1.on('close', () => listener('it ended')))(
        file,
        'jsonl',
        10,
      )
    ).batches;
    channel.port2.close();
    const error = await collect(batches).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IoError);
    expect(error).toMatchObject({ code: 'io', message: expect.stringContaining(`Reading ${file} stopped (it ended)`) });
  });
});
