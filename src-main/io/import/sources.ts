import type { FileHandle } from 'node:fs/promises';
import { parse as parseCsv } from 'csv-parse';
import type { ImportFormat } from '@domain/io';
import { IoError } from '../io-error';
import { boundedLines } from '../safe-read/bounded-lines';
import { JsonSplitter, JsonStructureError } from '../safe-read/json-splitter';
import { MAX_IMPORT_RECORDS, MAX_IMPORT_RECORD_BYTES, mib } from '../safe-read/limits';
import { openRegularFile } from '../safe-read/open-regular';
import { CSV_REQUIRED_COLUMNS } from './record-schemas';

// Import files are untrusted: each is opened once (a regular file only; a FIFO or a device is refused, not read),
// read from that descriptor only, and streamed, so at most one record's text is held at a time (a record above
// MAX_IMPORT_RECORD_BYTES is that record's error, skipped unread) and at most MAX_IMPORT_RECORDS are read.

/** One record as read from the file: its value, or why it could not even be parsed. */
export type SourceItem = { record: number; value: unknown } | { record: number; syntaxError: string };

export interface Source {
  /**
   * Record count for progress; an upper bound for line-based formats (blank lines count). Counting lines reads the
   * whole file, so it runs beside the reading of the records rather than before it. A JSON array's count is known
   * when its last record has been read.
   */
  total: Promise<number>;
  items: AsyncIterable<SourceItem>;
}

/** Import files have no byte cap of their own (they are streamed); this only rules out the absurd. */
const MAX_IMPORT_FILE_BYTES = Number.MAX_SAFE_INTEGER;

export async function openSource(format: ImportFormat, file: string): Promise<Source> {
  const { handle } = await openRegularFile(file, MAX_IMPORT_FILE_BYTES, '.json, .jsonl or .csv file to import');
  // The records and the line count read the same descriptor, each from offset 0; it closes when both are done.
  let users = 2;
  const release = () => {
    if (--users === 0) void handle.close();
  };
  const chunks = () => handle.createReadStream({ start: 0, autoClose: false }) as AsyncIterable<Buffer>;
  const counted = (count: Promise<number>) => {
    void count.finally(release).catch(() => undefined);
    return count;
  };
  const items = (inner: AsyncIterable<SourceItem>) => capped(inner, file, release);
  switch (format) {
    case 'guardtrace':
    case 'guardtrace-results': {
      // The reference script writes one JSON array too.
      let resolveTotal!: (count: number) => void;
      const total = new Promise<number>((resolve) => (resolveTotal = resolve));
      users--; // nothing else reads the descriptor
      return { total, items: items(guardtraceItems(chunks(), file, resolveTotal)) };
    }
    case 'jsonl':
      return { total: counted(countLines(chunks())), items: items(jsonlItems(chunks())) };
    case 'csv':
      return {
        total: counted(countLines(chunks()).then((lines) => Math.max(lines - 1, 0))),
        items: items(csvItems(handle, file)),
      };
  }
}

/** Stops at MAX_IMPORT_RECORDS records, and releases the descriptor however the reading ends. */
async function* capped(
  inner: AsyncIterable<SourceItem>,
  file: string,
  release: () => void,
): AsyncGenerator<SourceItem> {
  let records = 0;
  try {
    for await (const item of inner) {
      if (++records > MAX_IMPORT_RECORDS)
        throw new IoError(
          'invalid_file',
          `${file} holds more than ${MAX_IMPORT_RECORDS.toLocaleString('en')} records, more than one import may read; split it into smaller files.`,
        );
      yield item;
    }
  } finally {
    release();
  }
}

const oversize = (bytes: number) =>
  `is ${mib(bytes)}, larger than a record may be (${mib(MAX_IMPORT_RECORD_BYTES)}); it was skipped unread`;

/** A GuardTrace dataset file: one JSON array, streamed element by element. */
async function* guardtraceItems(
  chunks: AsyncIterable<Buffer>,
  file: string,
  resolveTotal: (count: number) => void,
): AsyncGenerator<SourceItem> {
  const splitter = new JsonSplitter({ top: 'array', maxPieceBytes: MAX_IMPORT_RECORD_BYTES });
  let count = 0;
  try {
    for await (const chunk of chunks) {
      for (const piece of splitter.push(chunk)) {
        count++;
        const record = piece.index + 1;
        if (piece.text === null) {
          yield { record, syntaxError: oversize(piece.bytes) };
          continue;
        }
        try {
          yield { record, value: JSON.parse(piece.text) };
        } catch (error) {
          yield { record, syntaxError: `is not valid JSON (${(error as Error).message})` };
        }
      }
    }
    splitter.end();
  } catch (error) {
    if (!(error instanceof JsonStructureError)) throw error;
    throw new IoError(
      'invalid_file',
      `${file} is not valid JSON (${error.message}). A GuardTrace dataset file is one JSON array of {image_name, question, thinking, response, evaluation_result}; for one object per line use --format jsonl.`,
    );
  } finally {
    resolveTotal(count);
  }
}

async function* jsonlItems(chunks: AsyncIterable<Buffer>): AsyncGenerator<SourceItem> {
  for await (const read of boundedLines(chunks, MAX_IMPORT_RECORD_BYTES)) {
    if ('oversizeBytes' in read) {
      yield { record: read.line, syntaxError: oversize(read.oversizeBytes) };
      continue;
    }
    const line = read.line === 1 ? read.text.replace(/^\uFEFF/, '') : read.text;
    if (line.trim() === '') continue;
    try {
      yield { record: read.line, value: JSON.parse(line) };
    } catch (error) {
      yield {
        record: read.line,
        syntaxError: `is not valid JSON (${(error as Error).message}); each line must be one JSON object`,
      };
    }
  }
}

async function* csvItems(handle: FileHandle, file: string): AsyncGenerator<SourceItem> {
  const skipped: SourceItem[] = [];
  const parser = handle.createReadStream({ start: 0, autoClose: false }).pipe(
    parseCsv({
      bom: true,
      columns: (header: string[]) => {
        const names = header.map((name) => name.trim());
        const missing = CSV_REQUIRED_COLUMNS.filter((column) => !names.includes(column));
        if (missing.length) {
          throw new IoError(
            'invalid_file',
            `${file}: the header row lacks the column(s) ${missing.join(', ')} (found: ${names.join(', ') || 'nothing'}). Columns: id, question, thinking, response, image, gold, meta.`,
          );
        }
        return names;
      },
      info: true,
      raw: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      // A record cannot grow past this (csv-parse stops gathering it); such a file is refused from that row on.
      max_record_size: MAX_IMPORT_RECORD_BYTES,
      on_skip: (error) => {
        if ((error as { code?: string } | undefined)?.code === 'CSV_MAX_RECORD_SIZE')
          throw new IoError(
            'invalid_file',
            `${file}: the row at line ${Number((error as { lines?: unknown }).lines ?? 0)} is larger than a record may be (${mib(MAX_IMPORT_RECORD_BYTES)}); check its quotes (an unclosed quote makes the rest of the file one cell).`,
          );
        if (error)
          skipped.push({
            record: Number((error as { lines?: unknown }).lines ?? 0),
            syntaxError: `is not a valid CSV row (${error.message})`,
          });
        return undefined;
      },
    }),
  );
  try {
    for await (const row of parser as AsyncIterable<{
      record: Record<string, string>;
      info: { lines: number };
      raw: string;
    }>) {
      while (skipped.length) yield skipped.shift()!;
      // info.lines is where the row ends; a quoted cell may span lines, so count back to where it starts.
      const spans = row.raw.replace(/\r?\n$/, '').split('\n').length - 1;
      yield { record: row.info.lines - spans, value: row.record };
    }
  } catch (error) {
    if (error instanceof IoError) throw error;
    throw new IoError('invalid_file', `${file} cannot be read as CSV (${(error as Error).message}).`);
  }
  while (skipped.length) yield skipped.shift()!;
}

/** Newline count, read in chunks (fast, constant memory) so progress can show a total for streamed files. */
async function countLines(chunks: AsyncIterable<Buffer>): Promise<number> {
  let lines = 0;
  let last = 10;
  for await (const chunk of chunks) {
    let index = chunk.indexOf(10);
    while (index !== -1) {
      lines++;
      index = chunk.indexOf(10, index + 1);
    }
    if (chunk.length) last = chunk[chunk.length - 1];
  }
  return last === 10 ? lines : lines + 1;
}
