// The first half of an import: reading the file, parsing each record, validating it and, for a case without an
// image, computing its content id. None of it needs the database or the image store, so the off-thread import runs
// it on a thread of its own (record-reader-worker.ts) while the import worker commits the previous batch: on two
// cores the parsing no longer adds to the write path (docs/store.md, "Import pipeline"). importFile called in-thread
// runs the same code in its own thread.
import { createHash } from 'node:crypto';
import type { ImportFormat, RecordError } from '@domain/io';
import { fromThreadError, toThreadError, type ThreadError } from './thread-errors';
import { parseRecord, parseReferenceResult, type CaseFields, type WrittenContent } from './record-schemas';
import { openSource, type Source, type SourceItem } from './sources';

/**
 * Stable identity for a case without a source id: the same content (texts and image bytes) always gets the
 * same id, so re-importing a file adds nothing. A named-but-missing image counts by its name.
 */
export function contentCaseId(
  fields: Pick<CaseFields, 'query' | 'thinking' | 'response'>,
  image: string | null,
): string {
  const hash = createHash('sha256');
  for (const part of [fields.query, fields.thinking, fields.response, image ?? '']) {
    hash
      .update(String(Buffer.byteLength(part)))
      .update(':')
      .update(part);
  }
  return `c-${hash.digest('hex').slice(0, 24)}`;
}

/** One record after parsing and validation; a case with an image still needs its image resolved (importFile). */
export type ParsedRecord =
  | {
      ok: true;
      record: number;
      fields: CaseFields;
      /** The case id when it does not depend on an image (a source id, or the content hash of an imageless case). */
      id: string | null;
      referenceOutput?: string;
      /** Reference results only: the texts as the script's output wrote them (before its fallbacks). */
      written?: WrittenContent;
      /** Problems reported without rejecting the record (a reference label outside the levels). */
      warnings?: RecordError[];
    }
  | { ok: false; record: number; errors: RecordError[]; scriptError?: boolean };

/** The parsed records of one file, in batches of the import's transaction size. */
export interface RecordBatches {
  /**
   * Record count for progress, 0 until known (it is counted beside the reading); an upper bound for line-based
   * formats (blank lines count).
   */
  total: () => number;
  batches: AsyncIterable<ParsedRecord[]>;
}

export type RecordBatchSource = (file: string, format: ImportFormat, batchSize: number) => Promise<RecordBatches>;

export function parseItem(item: SourceItem, file: string, format: ImportFormat): ParsedRecord {
  if ('syntaxError' in item)
    return {
      ok: false,
      record: item.record,
      errors: [{ file, record: item.record, field: null, reason: item.syntaxError }],
    };
  const reference = format === 'guardtrace-results' ? parseReferenceResult(item.value) : null;
  const parsed = reference ?? parseRecord(format, item.value);
  if (!parsed.ok) {
    return {
      ok: false,
      record: item.record,
      errors: parsed.issues.map((issue) => ({ file, record: item.record, field: issue.field, reason: issue.reason })),
      ...(reference && !reference.ok && reference.scriptError !== undefined ? { scriptError: true } : {}),
    };
  }
  const fields = parsed.fields;
  return {
    ok: true,
    record: item.record,
    fields,
    id: fields.id ?? (fields.image ? null : contentCaseId(fields, null)),
    ...(reference?.ok
      ? {
          referenceOutput: reference.evalResult,
          written: reference.written,
          warnings: reference.warnings.map((w) => ({ file, record: item.record, field: w.field, reason: w.reason })),
        }
      : {}),
  };
}

/** Reads and parses the file in the calling thread. */
export const readRecordsInThread: RecordBatchSource = async (file, format, batchSize) => {
  const source = await openSource(format, file);
  let total = 0;
  // A file that cannot be read fails the reading of its records too; that is where the error is reported.
  source.total.then((count) => (total = count)).catch(() => undefined);
  return { total: () => total, batches: batchesOf(source, file, format, batchSize) };
};

async function* batchesOf(
  source: Source,
  file: string,
  format: ImportFormat,
  batchSize: number,
): AsyncGenerator<ParsedRecord[]> {
  let batch: ParsedRecord[] = [];
  for await (const item of source.items) {
    batch.push(parseItem(item, file, format));
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

// The protocol between the import worker (consumer) and the record reader thread (producer).
export type ReaderRequest =
  { type: 'start'; file: string; format: ImportFormat; batchSize: number } | { type: 'taken' };
export type ReaderMessage =
  { type: 'total'; total: number } | { type: 'batch'; records: ParsedRecord[] } | { type: 'end' } | ThreadError;

/**
 * Batches parsed ahead of the one being committed. Two keep the writer fed while bounding memory: a slow disk
 * never lets a whole file pile up in messages.
 */
export const BATCHES_AHEAD = 2;

/** Either end of the reader's channel: the reader's parentPort, or the Worker object in the import worker. */
export interface ReaderEndpoint {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

/** The reader thread's side: parses the file and posts its batches, at most BATCHES_AHEAD not yet taken. */
export function serveRecords(port: ReaderEndpoint): void {
  let started = false;
  port.on('message', (message) => {
    const request = message as ReaderRequest;
    if (request.type !== 'start' || started) return;
    started = true;
    void produce(port, request);
  });
}

async function produce(port: ReaderEndpoint, request: Extract<ReaderRequest, { type: 'start' }>): Promise<void> {
  const post = (message: ReaderMessage) => port.postMessage(message);
  let untaken = 0;
  let wake: (() => void) | null = null;
  port.on('message', (message) => {
    if ((message as ReaderRequest).type !== 'taken') return;
    untaken--;
    wake?.();
  });
  try {
    const source = await openSource(request.format, request.file);
    // Sent whenever the count is done, at the latest before 'end'. A file that cannot be read fails the reading of
    // its records too; that is where the error is reported.
    const totalSent = source.total.then(
      (total) => post({ type: 'total', total }),
      () => undefined,
    );
    const records = batchesOf(source, request.file, request.format, request.batchSize);
    for await (const batch of records) {
      while (untaken >= BATCHES_AHEAD) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      untaken++;
      post({ type: 'batch', records: batch });
    }
    await totalSent;
    post({ type: 'end' });
  } catch (error) {
    post(toThreadError(error));
  }
}

/**
 * The import worker's side: a RecordBatchSource whose parsing happens on the reader thread at the other end of
 * `port`. Errors come back as the IoError (code and message) the in-thread reader would have thrown; `onGone`
 * registers for the reader thread ending before it said so (a crash), which fails the import the same way.
 */
export function recordsFrom(
  port: ReaderEndpoint,
  onGone: (listener: (why: string) => void) => void,
): RecordBatchSource {
  return (file, format, batchSize) => {
    const inbox: ReaderMessage[] = [];
    let arrived: (() => void) | null = null;
    const receive = (message: ReaderMessage) => {
      inbox.push(message);
      arrived?.();
    };
    port.on('message', (message) => receive(message as ReaderMessage));
    onGone((why) =>
      receive({
        type: 'error',
        code: 'io',
        name: 'IoError',
        message: `Reading ${file} stopped (${why}). Nothing after the last committed batch was written.`,
      }),
    );
    port.postMessage({ type: 'start', file, format, batchSize } satisfies ReaderRequest);
    const next = async (): Promise<ReaderMessage> => {
      while (!inbox.length) await new Promise<void>((resolve) => (arrived = resolve));
      arrived = null;
      const message = inbox.shift()!;
      if (message.type === 'error') throw fromThreadError(message);
      return message;
    };
    let total = 0;
    return Promise.resolve({
      total: () => total,
      batches: (async function* () {
        for (;;) {
          const message = await next();
          if (message.type === 'end') return;
          if (message.type === 'total') total = message.total;
          else if (message.type === 'batch') {
            port.postMessage({ type: 'taken' } satisfies ReaderRequest);
            yield message.records;
          }
        }
      })(),
    });
  };
}
