// Runs one import on a worker thread with its own SQLite connection, so the main process (the window, the IPC
// handlers, the audit queue) keeps its event loop while records are parsed, images inspected and batches committed.
// Each batch is still one transaction with its full-text entries: what the worker commits is searchable at once.
// The file itself is read and parsed on a second thread (record-reader-worker.ts, started beside this one by
// off-thread.ts), one or two batches ahead of the batch being committed here.
import { parentPort, workerData } from 'node:worker_threads';
import { installImageDecoder } from '../../engine/image-decoding';
import { PortImageDecoder } from '../../engine/image-decoding/relay';
import { openStore } from '../../store/open-store';
import { toThreadError } from './thread-errors';
import { importFile, type ImportOptions } from './index';
import type { ImportWorkerData, ImportWorkerMessage } from './off-thread';
import { recordsFrom } from './record-reader';

async function run(): Promise<void> {
  const data = workerData as ImportWorkerData;
  const post = (message: ImportWorkerMessage) => parentPort!.postMessage(message);
  if (data.imageDecoderPort) installImageDecoder(new PortImageDecoder(data.imageDecoderPort));
  // The record reader thread's port closes when that thread ends; before it said 'end', that is a failure.
  const readerGone = (listener: (why: string) => void) =>
    data.records.on('close', () => listener('the record reader thread ended'));
  const store = await openStore(
    { kind: 'folder', dataDir: data.dataDir },
    { sqliteNativeBinding: data.nativeBinding },
  ).catch((error: unknown) => {
    post(toThreadError(error));
    data.records.close();
    return null;
  });
  if (!store) return;
  try {
    const options: ImportOptions = {
      batchSize: data.batchSize,
      records: recordsFrom(data.records, readerGone),
      // A decision the moderator is saving goes first (the store's bulk session waits for it, bounded). The
      // session also sets the engine's bulk settings (SQLite: a longer WAL autocheckpoint) and, when the run
      // ends, flushes what is pending (a passive checkpoint, within the import's time rather than at the app's
      // next decision): docs/store.md, "Import pipeline".
      letWritersIn: data.writersToLetIn,
    };
    const summary = await importFile(store, data.request, (progress) => post({ type: 'progress', progress }), options);
    post({ type: 'done', summary });
  } catch (error) {
    post(toThreadError(error));
  } finally {
    await store.close();
    data.records.close();
  }
}

void run();
