// One import run on a SQLite connection: each batch is one transaction holding its cases, their full-text entries
// (indexed by one statement per batch, see CaseRepository.withDeferredFtsIndexing), image rows, reference verdicts,
// the running totals on its import_batches row and one activity-log entry. What a batch commits is searchable at once,
// and a kill leaves whole batches only (docs/store.md, "Import atomicity").
import type { BulkImportSession, ImportBatch, ImportBatchResult } from '../contract';
import { StoreError } from '../errors';
import { nowIso } from './clock';
import type { CaseStore } from './index';
import { waitForAnnouncedWriters } from './write-intent';

/** Pages (4 KiB) of write-ahead log between checkpoints on the import's connection. */
const IMPORT_WAL_AUTOCHECKPOINT_PAGES = 10_000;
/** Longest pause before a batch for the starting thread's writers (they normally need a few milliseconds). */
const MAX_WAIT_FOR_WRITERS_MS = 1000;

export class SqliteBulkImport implements BulkImportSession {
  private importBatchId: number | null = null;
  private readonly autocheckpointBefore: number;

  constructor(
    private readonly store: CaseStore,
    private readonly letWritersIn?: SharedArrayBuffer,
  ) {
    this.autocheckpointBefore = store.db.pragma('wal_autocheckpoint', { simple: true }) as number;
    // Checkpoint the write-ahead log every ~40 MB rather than every 4 MB (SQLite's default), i.e. after ~8
    // batches instead of after nearly every one: each checkpoint costs two fsyncs and rewrites the pages every
    // batch touches (indexes, full-text segments). Commits still fsync the log (synchronous = FULL), so what a
    // batch commits survives a power cut as before (docs/store.md, "Import pipeline").
    store.db.pragma(`wal_autocheckpoint = ${IMPORT_WAL_AUTOCHECKPOINT_PAGES}`);
  }

  async writeBatch(batch: ImportBatch): Promise<ImportBatchResult> {
    // A decision the moderator is saving goes first; bounded, so that a stuck writer cannot stall the import.
    if (this.letWritersIn) waitForAnnouncedWriters(this.letWritersIn, MAX_WAIT_FOR_WRITERS_MS);
    const { store } = this;
    const result: ImportBatchResult = {
      imported: 0,
      duplicates: 0,
      imagesMissing: 0,
      reference: { verdicts: 0, alreadyPresent: 0, parseFailures: 0, matchedExisting: 0 },
    };
    store.transaction(() => {
      const importBatch = (this.importBatchId ??= store.importBatches.begin(batch.file, batch.format, batch.actor));
      const createdAt = nowIso(); // the batch's cases are created together, in this transaction
      store.cases.withDeferredFtsIndexing(() => {
        for (const item of batch.items) {
          if (item.existingCase) {
            // A reference result for a case already stored (found by content): only its verdict is new.
            if (!store.cases.exists(item.newCase.id))
              throw new StoreError(
                'not_found',
                `No case with id "${item.newCase.id}" for the reference verdict of record ${item.newCase.sourceRecord}.`,
              );
            result.duplicates++;
            result.reference.matchedExisting++;
          } else {
            if (item.image) store.images.record(item.image);
            if (store.cases.insert(item.newCase, importBatch, createdAt)) {
              result.imported++;
              if (item.newCase.imageMissing) result.imagesMissing++;
            } else {
              result.duplicates++;
            }
          }
          if (item.referenceVerdict) {
            const inserted = store.referenceVerdicts.insert({ ...item.referenceVerdict, importBatch });
            if (!inserted) result.reference.alreadyPresent++;
            else {
              result.reference.verdicts++;
              if (item.referenceVerdict.verdict.status !== 'ok') result.reference.parseFailures++;
            }
          }
        }
      });
      store.activityLog.append({
        actor: batch.actor,
        action: 'import',
        after: {
          file: batch.file,
          format: batch.format,
          importBatch,
          records: batch.records,
          imported: result.imported,
          duplicates: result.duplicates,
          rejected: batch.rejected,
          ...(batch.format === 'guardtrace-results'
            ? { referenceVerdicts: { ...result.reference, scriptErrors: batch.referenceScriptErrors ?? 0 } }
            : {}),
        },
      });
      // Running totals, so an interrupted import's row still says what it committed.
      store.importBatches.recordTotals(importBatch, {
        imported: batch.totalsBefore.imported + result.imported,
        duplicates: batch.totalsBefore.duplicates + result.duplicates,
        rejected: batch.totalsBefore.rejected + batch.rejected,
      });
    });
    return result;
  }

  async finish(): Promise<void> {
    // The rest of the log goes into the database now, within the import's time: left there, it would be
    // checkpointed by the next commit of another connection, e.g. the app's next decision, on the main thread.
    try {
      this.store.db.pragma('wal_checkpoint(PASSIVE)');
      this.store.db.pragma(`wal_autocheckpoint = ${this.autocheckpointBefore}`);
    } catch {
      // the database may be what failed; the next connection checkpoints instead
    }
  }
}
