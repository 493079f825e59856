import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parse as parseCsv } from 'csv-parse';
import type { ImportFormat } from '@domain/io';
import { IoError } from '../io-error';
import { CSV_REQUIRED_COLUMNS } from './record-schemas';

/** One record as read from the file: its value, or why it could not even be parsed. */
export type SourceItem = { record: number; value: unknown } | { record: number; syntaxError: string };

export interface Source {
  /**
   * Record count for progress; an upper bound for line-based formats (blank lines count). Counting lines reads the
   * whole file, so it runs beside the reading of the records rather than before it.
   */
  total: Promise<number>;
  items: AsyncIterable<SourceItem>;
}

export async function openSource(format: ImportFormat, file: string): Promise<Source> {
  switch (format) {
    case 'guardtrace':
    case 'guardtrace-results': // the reference script writes one JSON array too
      return guardtraceSource(file);
    case 'jsonl':
      return { total: countLines(file), items: jsonlItems(file) };
    case 'csv':
      return { total: countLines(file).then((lines) => Math.max(lines - 1, 0)), items: csvItems(file) };
  }
}

/** The dataset's files are one JSON array, small enough to parse whole (the images are what is large). */
async function guardtraceSource(file: string): Promise<Source> {
  const text = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new IoError(
      'invalid_file',
      `${file} is not valid JSON (${(error as Error).message}). A GuardTrace dataset file is one JSON array of cases; for one object per line use --format jsonl.`,
    );
  }
  if (!Array.isArray(parsed)) {
    throw new IoError(
      'invalid_file',
      `${file} holds a JSON ${parsed === null ? 'null' : typeof parsed}, not an array. A GuardTrace dataset file is a JSON array of {image_name, question, thinking, response, evaluation_result}.`,
    );
  }
  const records = parsed;
  return {
    total: Promise.resolve(records.length),
    items: (async function* () {
      for (let i = 0; i < records.length; i++) yield { record: i + 1, value: records[i] };
    })(),
  };
}

async function* jsonlItems(file: string): AsyncGenerator<SourceItem> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const rawLine of lines) {
    lineNumber++;
    const line = lineNumber === 1 ? rawLine.replace(/^\uFEFF/, '') : rawLine;
    if (line.trim() === '') continue;
    try {
      yield { record: lineNumber, value: JSON.parse(line) };
    } catch (error) {
      yield {
        record: lineNumber,
        syntaxError: `is not valid JSON (${(error as Error).message}); each line must be one JSON object`,
      };
    }
  }
}

async function* csvItems(file: string): AsyncGenerator<SourceItem> {
  const skipped: SourceItem[] = [];
  const parser = createReadStream(file).pipe(
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
      on_skip: (error) => {
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
async function countLines(file: string): Promise<number> {
  let lines = 0;
  let last = 10;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    let index = chunk.indexOf(10);
    while (index !== -1) {
      lines++;
      index = chunk.indexOf(10, index + 1);
    }
    if (chunk.length) last = chunk[chunk.length - 1];
  }
  return last === 10 ? lines : lines + 1;
}
