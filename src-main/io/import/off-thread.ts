// Starts an import on a worker thread (import-worker.ts) and relays its progress; the caller's event loop only
// receives messages. Works from the sources (vitest, the tsx-run CLI) and from the electron-vite bundle, where the
// worker is its own entry (out/main/import-worker.js, see electron.vite.config.ts).
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { ImportProgress, ImportRequest, ImportSummary } from '@domain/io';
import { imageDecoder } from '../../engine/image-decoding';
import { serveImageDecoder } from '../../engine/image-decoding/relay';
import { IoError } from '../io-error';

export interface ImportWorkerData {
  dataDir: string;
  nativeBinding?: string;
  request: ImportRequest;
  batchSize?: number;
  /** Image headers are read by this process's image decoder, reached through the main thread (relay.ts). */
  imageDecoderPort?: MessagePort;
}

export type ImportWorkerMessage =
  | { type: 'progress'; progress: ImportProgress }
  | { type: 'done'; summary: ImportSummary }
  | { type: 'error'; code: IoError['code'] | null; name: string; message: string };

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
  const data: ImportWorkerData = {
    dataDir: options.dataDir,
    nativeBinding: options.nativeBinding,
    request,
    batchSize: options.batchSize ?? WORKER_IMPORT_BATCH_SIZE,
  };
  const decoderChannel = new MessageChannel();
  serveImageDecoder(decoderChannel.port1, imageDecoder());
  data.imageDecoderPort = decoderChannel.port2;
  const worker = startWorker(data);
  worker.once('exit', () => decoderChannel.port1.close());
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
      else
        settle(() =>
          reject(
            message.code
              ? new IoError(message.code, message.message)
              : Object.assign(new Error(message.message), { name: message.name }),
          ),
        );
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

function startWorker(data: ImportWorkerData): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // Running from the TypeScript sources: the worker compiles its module graph with tsx, as bin.mjs does.
    // tsx is located from this file, not from the worker's eval code (that resolves from the current directory),
    // and the tsconfig is named explicitly so the @domain/@main aliases resolve from any working directory.
    const entry = new URL('./import-worker.ts', here).href;
    const tsconfig = fileURLToPath(new URL('../../../tsconfig.json', here));
    const tsxApi = typeof import.meta.resolve === 'function' ? import.meta.resolve('tsx/esm/api') : 'tsx/esm/api';
    const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register({ tsconfig: ${JSON.stringify(tsconfig)} }); return import(${JSON.stringify(entry)}); })`;
    return new Worker(bootstrap, { eval: true, workerData: data, transferList: transfers(data) });
  }
  return new Worker(new URL('./import-worker.js', here), { workerData: data, transferList: transfers(data) });
}

function transfers(data: ImportWorkerData): MessagePort[] {
  return data.imageDecoderPort ? [data.imageDecoderPort] : [];
}
