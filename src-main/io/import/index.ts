import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ImageRef } from '@domain/cases';
import { REFERENCE_IMPORT_PROVENANCE, type ReferenceImportCounts } from '@domain/fidelity';
import {
  IMPORT_FORMATS,
  type ImportFormat,
  type ImportProgress,
  type ImportRequest,
  type ImportSummary,
  type RecordError,
} from '@domain/io';
import { parseVerdict } from '../../engine/profiles/guardtrace-vl/verdict-parser';
import type { BulkImportSession, ImportBatchItem, NewCase, Store } from '../../store/contract';
import { IoError } from '../io-error';
import { decodeDataUri, inspectImage, readImageFile, resolveInside, type ImageCheck } from './image-intake';
import { contentCaseId, readRecordsInThread, type ParsedRecord, type RecordBatchSource } from './record-reader';
import { IMAGE_FIELD, type CaseFields } from './record-schemas';
import { withFigStepQuery } from './reference-eval';
import { ExistingCases } from './existing-cases';

export { IoError } from '../io-error';
export { contentCaseId } from './record-reader';

/** Records per transaction: a kill or crash loses at most the batch in flight, never part of one. */
export const IMPORT_BATCH_SIZE = 500;
/** Images read and inspected at once (sharp works on the libuv pool). */
const IMAGE_CONCURRENCY = 4;
/** At most this many record errors are kept in the summary; the counts stay exact. */
const MAX_REPORTED_ERRORS = 1000;

export interface ImportOptions {
  batchSize?: number;
  /** Where the parsed records come from: this thread by default, the record reader thread off the main thread. */
  records?: RecordBatchSource;
  /** The starting thread's announced writers (Store.imports.writerSignal): each batch lets them in first. */
  letWritersIn?: SharedArrayBuffer;
}

export function inferFormat(file: string): ImportFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') return 'guardtrace';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.csv') return 'csv';
  throw new IoError(
    'usage',
    `Cannot tell the format of ${file} from its extension "${ext}". Pass --format ${IMPORT_FORMATS.join('|')}.`,
  );
}

type Prepared =
  | {
      ok: true;
      record: number;
      newCase: NewCase;
      image: ImageRef | null;
      referenceOutput?: string;
      /** The reference verdict goes to this case already in the store (found by content), not to a new one. */
      existingCase?: boolean;
      warnings?: RecordError[];
    }
  | { ok: false; record: number; errors: RecordError[]; scriptError?: boolean };

/** Reads, validates and stores one file; see ImportSummary for what it reports. */
export async function importFile(
  store: Store,
  req: ImportRequest,
  onProgress?: (p: ImportProgress) => void,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const started = performance.now();
  const file = path.resolve(req.file);
  if (!existsSync(file)) throw new IoError('usage', `Import file ${file} does not exist.`);
  if (!statSync(file).isFile())
    throw new IoError('usage', `${file} is not a file; give the .json, .jsonl or .csv file to import.`);
  // The request crosses a process boundary: a format the readers do not know is refused, never half-read.
  if (req.format !== undefined && !IMPORT_FORMATS.includes(req.format))
    throw new IoError(
      'usage',
      `Unknown import format "${String(req.format)}". Use one of: ${IMPORT_FORMATS.join(', ')}.`,
    );
  const format = req.format ?? inferFormat(file);
  const imagesDir = resolveImagesDir(file, format, req.imagesDir);
  const actor = req.actor?.trim() || 'import';
  const batchSize = options.batchSize ?? IMPORT_BATCH_SIZE;

  const summary: ImportSummary = {
    file,
    format,
    total: 0,
    imported: 0,
    duplicates: 0,
    rejected: 0,
    imagesMissing: 0,
    errors: [],
    ms: 0,
  };
  if (format === 'guardtrace-results')
    summary.reference = { verdicts: 0, alreadyPresent: 0, parseFailures: 0, scriptErrors: 0, matchedExisting: 0 };
  const images = new ImageCache(store, imagesDir, format);
  const session = await store.imports.begin({ letWritersIn: options.letWritersIn });
  const writer = new BatchWriter(session, file, format, actor, summary);

  const records = await (options.records ?? readRecordsInThread)(file, format, batchSize);
  // Reference results attach to the cases the dataset import made, whatever ids those got (existing-cases.ts).
  const existing = format === 'guardtrace-results' ? new ExistingCases(store) : null;
  const asReferenceEval = req.asReferenceEval === true && format !== 'guardtrace-results';
  const flush = async (parsed: ParsedRecord[]) => {
    const batch = asReferenceEval ? parsed.map(withReferenceEvalQuery) : parsed;
    if (existing && batch.length) await existing.load();
    const prepared = batch.some((item) => item.ok && item.fields.image)
      ? await mapWithConcurrency(
          batch,
          IMAGE_CONCURRENCY,
          async (item) => prepareWithoutReading(item, file, existing) ?? prepareWithImage(item, file, format, images),
        )
      : batch.map((item) => prepareWithoutReading(item, file, existing) ?? prepareWithoutImage(item, file));
    await writer.commit(prepared);
    summary.total += batch.length;
    onProgress?.({ file, processed: summary.total, total: Math.max(records.total(), summary.total) });
  };
  try {
    for await (const batch of records.batches) await flush(batch);
    // An empty file still gets its import_batches row and activity-log entry.
    if (!writer.committedAny) await flush([]);
  } catch (error) {
    throw stoppedPartWay(error, summary);
  } finally {
    await session.finish();
  }
  onProgress?.({ file, processed: summary.total, total: summary.total });
  summary.ms = Math.round(performance.now() - started);
  return summary;
}

/**
 * An import that stops after some batches committed (another process held the database too long, the disk
 * filled) says what is already in the store, so the user knows that re-running the file only adds the rest.
 */
function stoppedPartWay(error: unknown, summary: ImportSummary): unknown {
  if (summary.total === 0 || !(error instanceof Error)) return error;
  // Same error (class and code kept, so the CLI's exit code and the UI's handling do not change), longer message.
  error.message +=
    ` ${summary.total} record(s) of ${summary.file} were committed before the import stopped ` +
    `(${summary.imported} new case(s), ${summary.duplicates} already present, ${summary.rejected} rejected) and stay. ` +
    'Re-run the same import to add the rest: the committed cases count as already present.';
  return error;
}

function resolveImagesDir(file: string, format: ImportFormat, given: string | undefined): string {
  if (given) {
    const dir = path.resolve(given);
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      throw new IoError('usage', `Images folder ${dir} does not exist or is not a folder (--images).`);
    return dir;
  }
  const folder = path.dirname(file);
  // The GuardTrace-VL dataset keeps its images in images/ beside the JSON; JSONL/CSV paths are relative to the file.
  if ((format === 'guardtrace' || format === 'guardtrace-results') && existsSync(path.join(folder, 'images')))
    return path.join(folder, 'images');
  return folder;
}

/** --as-reference-eval: an S-Eval image case gets the FigStep query before its identity is computed. */
function withReferenceEvalQuery(item: ParsedRecord): ParsedRecord {
  return item.ok && item.fields.image ? { ...item, fields: withFigStepQuery(item.fields) } : item;
}

/**
 * A parsed record as the writer takes it when no image has to be read: rejected, without an image, or a reference
 * result whose case is already in the store (found by content; its image is not read again). Null otherwise.
 */
function prepareWithoutReading(item: ParsedRecord, file: string, existing: ExistingCases | null): Prepared | null {
  if (!item.ok) return item;
  const existingId = existing ? existing.find(item.fields, item.written) : null;
  if (existingId !== null) return { ...toPrepared(item, file, existingId, null, null), existingCase: true };
  return item.fields.image ? null : prepareWithoutImage(item, file);
}

/** A parsed record as the writer takes it, resolving (and durably storing) its image first. */
async function prepareWithImage(
  item: ParsedRecord,
  file: string,
  format: ImportFormat,
  images: ImageCache,
): Promise<Prepared> {
  if (!item.ok || !item.fields.image) return prepareWithoutImage(item, file);
  const fields = item.fields;
  const outcome = await images.resolve(item.fields.image);
  if ('error' in outcome)
    return {
      ok: false,
      record: item.record,
      errors: [{ file, record: item.record, field: IMAGE_FIELD[format], reason: outcome.error }],
    };
  const image = outcome.missing ? null : outcome.image;
  return toPrepared(
    item,
    file,
    item.id ?? contentCaseId(fields, image ? image.sha256 : `missing:${outcome.ref}`),
    image,
    outcome.ref,
  );
}

function prepareWithoutImage(item: ParsedRecord, file: string): Prepared {
  if (!item.ok) return item;
  // The reader computes the id of every case without an image.
  return toPrepared(item, file, item.id!, null, null);
}

function toPrepared(
  item: Extract<ParsedRecord, { ok: true }>,
  file: string,
  id: string,
  image: ImageRef | null,
  imageRef: string | null,
): Extract<Prepared, { ok: true }> {
  const { fields } = item;
  const newCase: NewCase = {
    id,
    query: fields.query,
    thinking: fields.thinking,
    response: fields.response,
    imageSha256: image?.sha256 ?? null,
    imageRef,
    imageMissing: imageRef !== null && image === null,
    gold: fields.gold,
    sourceFile: file,
    sourceRecord: item.record,
    meta: fields.meta,
  };
  return {
    ok: true,
    record: item.record,
    newCase,
    image,
    ...(item.referenceOutput !== undefined ? { referenceOutput: item.referenceOutput } : {}),
    ...(item.warnings?.length ? { warnings: item.warnings } : {}),
  };
}

type ImageOutcome =
  { ref: string; missing: true } | { ref: string; missing: false; image: ImageRef } | { error: string };

/** Resolves, inspects and durably stores each distinct image once per import (datasets reuse images). */
class ImageCache {
  private readonly byPath = new Map<string, Promise<ImageOutcome>>();

  constructor(
    private readonly store: Store,
    private readonly imagesDir: string,
    private readonly format: ImportFormat,
  ) {}

  resolve(spec: NonNullable<CaseFields['image']>): Promise<ImageOutcome> {
    if (spec.kind === 'data')
      return this.fromBytes(
        decodeDataUri(spec.uri),
        `${spec.uri.slice(0, spec.uri.indexOf(',') + 1)}…`,
        'the data: URI',
      );
    const resolved = resolveInside(this.imagesDir, spec.name);
    if ('error' in resolved) return Promise.resolve({ error: resolved.error });
    let pending = this.byPath.get(resolved.path);
    if (!pending) {
      pending = this.fromFile(resolved.path, spec.name, this.imagesDir);
      this.byPath.set(resolved.path, pending);
    }
    return pending;
  }

  private async fromFile(file: string, ref: string, insideDir: string): Promise<ImageOutcome> {
    const read = await readImageFile(file, insideDir);
    if (read === 'missing') return { ref, missing: true };
    return this.fromBytes(read, ref, file);
  }

  private async fromBytes(
    read: { bytes: Buffer } | { error: string },
    ref: string,
    label: string,
  ): Promise<ImageOutcome> {
    if ('error' in read) return { error: read.error };
    const check: ImageCheck = await inspectImage(read.bytes, label);
    if (!check.ok) return { error: check.reason };
    await this.store.images.put(read.bytes); // durable before any row refers to it
    return { ref, missing: false, image: check.image };
  }
}

/** Hands each batch to the store (one transaction there, with its totals and one activity-log entry) and keeps the summary. */
class BatchWriter {
  committedAny = false;
  private fileSha256: string | null = null;

  constructor(
    private readonly session: BulkImportSession,
    private readonly file: string,
    private readonly format: ImportFormat,
    private readonly actor: string,
    private readonly summary: ImportSummary,
  ) {}

  async commit(prepared: Prepared[]): Promise<void> {
    let rejected = 0;
    let scriptErrors = 0;
    const errors: RecordError[] = [];
    const items: ImportBatchItem[] = [];
    for (const item of prepared) {
      if (!item.ok) {
        rejected++;
        if (item.scriptError) scriptErrors++;
        errors.push(...item.errors);
        continue;
      }
      if (item.warnings) errors.push(...item.warnings);
      items.push({
        newCase: item.newCase,
        ...(item.image ? { image: item.image } : {}),
        ...(item.referenceOutput !== undefined
          ? { referenceVerdict: this.referenceVerdict(item, item.referenceOutput) }
          : {}),
        // Already in the store (found by content): the store keeps only the reference verdict, in this batch.
        ...(item.existingCase ? { existingCase: true } : {}),
      });
    }
    const result = await this.session.writeBatch({
      file: this.file,
      format: this.format,
      actor: this.actor,
      items,
      rejected,
      referenceScriptErrors: scriptErrors,
      records: prepared.length ? [prepared[0].record, prepared[prepared.length - 1].record] : [],
      totalsBefore: {
        imported: this.summary.imported,
        duplicates: this.summary.duplicates,
        rejected: this.summary.rejected,
      },
    });
    this.committedAny = true;
    // Only after the commit: a failed transaction must not leave counts that claim rows exist.
    this.summary.imported += result.imported;
    this.summary.duplicates += result.duplicates;
    this.summary.rejected += rejected;
    this.summary.imagesMissing += result.imagesMissing;
    if (this.summary.reference) {
      const reference: ReferenceImportCounts = { ...result.reference, scriptErrors };
      for (const key of Object.keys(reference) as Array<keyof ReferenceImportCounts>)
        this.summary.reference[key] += reference[key];
    }
    for (const error of errors) if (this.summary.errors.length < MAX_REPORTED_ERRORS) this.summary.errors.push(error);
  }

  /** The reference script's output, parsed by the app's own verdict parser, to be stored beside the case it judged. */
  private referenceVerdict(item: Extract<Prepared, { ok: true }>, rawOutput: string) {
    this.fileSha256 ??= createHash('sha256').update(readFileSync(this.file)).digest('hex');
    return {
      caseId: item.newCase.id,
      rawOutput,
      verdict: parseVerdict(rawOutput),
      provenance: {
        source: REFERENCE_IMPORT_PROVENANCE,
        file: this.file,
        fileSha256: this.fileSha256,
        record: item.record,
        reference: true,
      },
    };
  }
}

async function mapWithConcurrency<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  });
  await Promise.all(lanes);
  return results;
}
