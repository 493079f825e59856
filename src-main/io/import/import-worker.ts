// Runs one import on a worker thread with its own SQLite connection, so the main process (the window, the IPC
// handlers, the audit queue) keeps its event loop while records are parsed, images inspected and batches committed.
// Each batch is still one transaction with its full-text entries: what the worker commits is searchable at once.
import { parentPort, workerData } from 'node:worker_threads';
import type { ImportRequest } from '@domain/io';
import { installImageDecoder } from '../../engine/image-decoding';
import { PortImageDecoder } from '../../engine/image-decoding/relay';
import { CaseStore } from '../../store';
import { IoError } from '../io-error';
import { importFile, type ImportOptions } from './index';
import type { ImportWorkerData, ImportWorkerMessage } from './off-thread';

async function run(): Promise<void> {
  const data = workerData as ImportWorkerData;
  const post = (message: ImportWorkerMessage) => parentPort!.postMessage(message);
  if (data.imageDecoderPort) installImageDecoder(new PortImageDecoder(data.imageDecoderPort));
  const store = CaseStore.open(data.dataDir, { nativeBinding: data.nativeBinding });
  try {
    const request: ImportRequest = data.request;
    const options: ImportOptions = { batchSize: data.batchSize };
    const summary = await importFile(store, request, (progress) => post({ type: 'progress', progress }), options);
    post({ type: 'done', summary });
  } catch (error) {
    post({
      type: 'error',
      code: error instanceof IoError ? error.code : null,
      name: error instanceof Error ? error.name : 'Error',
      message: error instanceof Error ? error.message : String(error),
    });
  } finally {
    store.close();
  }
}

void run();
