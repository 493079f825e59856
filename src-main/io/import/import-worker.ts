// Runs one import on a worker thread with its own SQLite connection, so the main process (the window, the IPC
// handlers, the audit queue) keeps its event loop while records are parsed, images inspected and batches committed.
// Each batch is still one transaction with its full-text entries: what the worker commits is searchable at once.
// The file itself is read and parsed on a second thread (record-reader-worker.ts, started beside this one by
// off-thread.ts), one or two batches ahead of the batch being committed here.
import { parentPort, workerData } from 'node:worker_threads';
import type { ImportRequest } from '@domain/io';
import { installImageDecoder } from '../../engine/image-decoding';
import { PortImageDecoder } from '../../engine/image-decoding/relay';
import { CaseStore } from '../../store';
import { waitForAnnouncedWriters } from '../../store/write-intent';
import { toThreadError } from './thread-errors';
import { importFile, type ImportOptions } from './index';
import type { ImportWorkerData, ImportWorkerMessage } from './off-thread';
import { recordsFrom } from './record-reader';

/** Pages (4 KiB) of write-ahead log between checkpoints on the import's connection. */
const IMPORT_WAL_AUTOCHECKPOINT_PAGES = 10_000;
/** Longest pause before a batch for the starting thread's writers (they normally need a few milliseconds). */
const MAX_WAIT_FOR_WRITERS_MS = 1000;

async function run(): Promise<void> {
  const data = workerData as ImportWorkerData;
  const post = (message: ImportWorkerMessage) => parentPort!.postMessage(message);
  if (data.imageDecoderPort) installImageDecoder(new PortImageDecoder(data.imageDecoderPort));
  // The record reader thread's port closes when that thread ends; before it said 'end', that is a failure.
  const readerGone = (listener: (why: string) => void) =>
    data.records.on('close', () => listener('the record reader thread ended'));
  const store = CaseStore.open(data.dataDir, { nativeBinding: data.nativeBinding });
  try {
    const request: ImportRequest = data.request;
    const writers = data.writersToLetIn;
    const options: ImportOptions = {
      batchSize: data.batchSize,
      records: recordsFrom(data.records, readerGone),
      // A decision the moderator is saving goes first; bounded, so that a stuck writer cannot stall the import.
      beforeBatch: writers ? () => waitForAnnouncedWriters(writers, MAX_WAIT_FOR_WRITERS_MS) : undefined,
    };
    // Checkpoint the write-ahead log every ~40 MB rather than every 4 MB (SQLite's default), i.e. after ~8
    // batches instead of after nearly every one: each checkpoint costs two fsyncs and rewrites the pages every
    // batch touches (indexes, full-text segments). Commits still fsync the log (synchronous = FULL), so what a
    // batch commits survives a power cut as before (docs/store.md, "Import pipeline").
    store.db.pragma(`wal_autocheckpoint = ${IMPORT_WAL_AUTOCHECKPOINT_PAGES}`);
    const summary = await importFile(store, request, (progress) => post({ type: 'progress', progress }), options);
    // The rest of the log goes into the database now, within the import's time: left there, it would be
    // checkpointed by the next commit of another connection, e.g. the app's next decision, on the main thread.
    const started = performance.now();
    store.db.pragma('wal_checkpoint(PASSIVE)');
    summary.ms += Math.round(performance.now() - started);
    post({ type: 'done', summary });
  } catch (error) {
    // Also after a failure: the batches committed so far are in the log.
    try {
      store.db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // the database may be what failed; the next connection checkpoints instead
    }
    post(toThreadError(error));
  } finally {
    store.close();
    data.records.close();
  }
}

void run();
