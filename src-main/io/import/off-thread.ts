// Starts an import on a worker thread (import-worker.ts), with the record reader thread that parses the file for it
// (record-reader-worker.ts, connected to it by a MessageChannel), and relays its progress; the caller's event loop
// only receives messages. Both threads start together, so neither waits for the other to load its modules. Works
// from the sources (vitest, the tsx-run CLI) and from the electron-vite bundle, where each worker is its own entry
// (out/main/import-worker.js, out/main/record-reader-worker.js, see electron.vite.config.ts).
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { ImportProgress, ImportRequest, ImportSummary } from '@domain/io';
import { imageDecoder } from '../../engine/image-decoding';
import { serveImageDecoder } from '../../engine/image-decoding/relay';
import { writerSignalFor } from '../../store/open-store';
import { IoError } from '../io-error';
import { startImportWorker } from './start-worker';
import { fromThreadError, type ThreadError } from './thread-errors';

export interface ImportWorkerData {
  dataDir: string;
  nativeBinding?: string;
  request: ImportRequest;
  batchSize?: number;
  /** Image headers are read by this process's image decoder, reached through the main thread (relay.ts). */
  imageDecoderPort?: MessagePort;
  /** The starting thread's announced writers (BulkImporter.writerSignal): the worker lets them in between batches. */
  writersToLetIn?: SharedArrayBuffer;
  /** The record reader thread's end of the channel. */
  records: MessagePort;
}

export type ImportWorkerMessage =
  { type: 'progress'; progress: ImportProgress } | { type: 'done'; summary: ImportSummary } | ThreadError;

/**
 * Records per transaction off the main thread. Larger than the in-thread 500: a batch no longer blocks the window,
 * and fewer commits (each an fsync) and FTS segment flushes make the import faster (docs/store.md). A write from
 * the main process (a decision) waits for at most one batch (~60 ms) under SQLite's busy timeout.
 */
export const WORKER_IMPORT_BATCH_SIZE = 1000;

export function importFileOffThread(
  options: { dataDir: string; nativeBinding?: string; batchSize?: number },
  request: ImportRequest,
  onProgress?: (progress: ImportProgress) => void,
): Promise<ImportSummary> {
  const channel = new MessageChannel();
  const data: ImportWorkerData = {
    dataDir: options.dataDir,
    nativeBinding: options.nativeBinding,
    request,
    batchSize: options.batchSize ?? WORKER_IMPORT_BATCH_SIZE,
    writersToLetIn: writerSignalFor({ kind: 'folder', dataDir: options.dataDir }) ?? undefined,
    records: channel.port1,
  };
  // Image headers are read by this process's image decoder, reached through this thread (relay.ts).
  const decoderChannel = new MessageChannel();
  serveImageDecoder(decoderChannel.port1, imageDecoder());
  data.imageDecoderPort = decoderChannel.port2;
  const reader = startImportWorker(import.meta.url, 'record-reader-worker', { port: channel.port2 }, [channel.port2]);
  const worker = startImportWorker(import.meta.url, 'import-worker', data, [channel.port1, decoderChannel.port2]);
  // The reader only serves the import worker: it goes with it, whichever way the import ends.
  worker.on('exit', () => {
    void reader.terminate();
    decoderChannel.port1.close();
  });
  return new Promise<ImportSummary>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
    };
    worker.on('message', (message: ImportWorkerMessage) => {
      if (message.type === 'progress') onProgress?.(message.progress);
      else if (message.type === 'done') settle(() => resolve(message.summary));
      else settle(() => reject(fromThreadError(message)));
    });
    worker.on('error', (error) => settle(() => reject(error)));
    worker.on('exit', (code) =>
      settle(() =>
        reject(
          new IoError(
            'io',
            `The import of ${request.file} stopped (worker exit code ${code}); the batches committed before it are kept, re-run the import to add the rest.`,
          ),
        ),
      ),
    );
  });
}
