// The import runs on a worker thread (io/import/off-thread.ts). It does not start a decoder process of its own —
// inside Electron a worker thread cannot start a utilityProcess, and a Node child of the Electron binary needs
// RunAsNode, which the fuses turn off — but asks the main thread's decoder over a MessagePort. The main thread
// checks each request as the decoder process does; the worker checks each answer.
import type { MessagePort } from 'node:worker_threads';
import {
  disposedError,
  ImageDecoderProcessError,
  JobImageDecoder,
  rebuildError,
  runJob,
  toDecodeFailure,
  type ImageDecoder,
  type ImageHeader,
  type PreparedImage,
} from './image-decoder';
import {
  checkResult,
  parseDecodeRequest,
  parseDecodeResponse,
  requestIdOf,
  type DecodeJob,
  type DecodeResponse,
} from './protocol';

/** Main-thread side: answers the worker's requests with `decoder`. The port does not keep the process alive. */
export function serveImageDecoder(port: MessagePort, decoder: ImageDecoder): void {
  port.on('message', (message: unknown) => {
    const request = parseDecodeRequest(message);
    if (!request) {
      const id = requestIdOf(message);
      if (id !== null)
        port.postMessage({
          id,
          ok: false,
          error: { name: 'Error', message: 'the request to the image decoder was malformed' },
        } satisfies DecodeResponse);
      return;
    }
    const work = runJob(decoder, request.job);
    work.then(
      (result) => port.postMessage({ id: request.id, ok: true, result } satisfies DecodeResponse),
      (error: unknown) =>
        port.postMessage({ id: request.id, ok: false, error: toDecodeFailure(error) } satisfies DecodeResponse),
    );
  });
  port.unref();
}

interface PortJob {
  job: DecodeJob;
  resolve(result: PreparedImage | ImageHeader): void;
  reject(error: Error): void;
}

/** Worker side: an ImageDecoder that sends its jobs to the main thread's. */
export class PortImageDecoder extends JobImageDecoder {
  private readonly pending = new Map<number, PortJob>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly port: MessagePort) {
    super();
    port.on('message', (message: unknown) => this.onMessage(message));
    port.on('close', () => this.failAll('the image decoder relay was closed'));
    port.unref();
  }

  async dispose(): Promise<void> {
    this.failAll('the image decoder was shut down');
    this.port.close();
  }

  protected run(job: DecodeJob): Promise<PreparedImage | ImageHeader> {
    if (this.closed) return Promise.reject(disposedError());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { job, resolve, reject });
      // An answer is awaited: the worker must stay alive for it.
      if (this.pending.size === 1) this.port.ref();
      this.port.postMessage({ id, job });
    });
  }

  private onMessage(message: unknown): void {
    const response = parseDecodeResponse(message);
    const pending = response ? this.pending.get(response.id) : undefined;
    if (!response || !pending) return; // the main thread is trusted not to lie; a stray message is dropped
    this.pending.delete(response.id);
    if (this.pending.size === 0) this.port.unref();
    if (!response.ok) {
      pending.reject(rebuildError(response.error));
      return;
    }
    const problem = checkResult(pending.job, response.result);
    if (problem)
      pending.reject(
        new ImageDecoderProcessError('invalid_response', `the image decoder's result was inconsistent (${problem})`),
      );
    else pending.resolve(response.result);
  }

  private failAll(message: string): void {
    this.closed = true;
    for (const job of this.pending.values()) job.reject(new ImageDecoderProcessError('disposed', message));
    this.pending.clear();
  }
}
