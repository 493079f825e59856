// Reads packs and decisions files on a worker thread with a bounded heap (PARSER_THREAD_LIMITS, via
// startImportWorker): however a hostile file is built, its parsing can at worst end that thread, which is reported
// as a refusal of the file. Works from the sources (vitest, the tsx-run CLI) and the electron-vite bundle, where the
// worker is its own entry (out/main/team-file-worker.js, electron.vite.config.ts).
import type { DecisionsFile } from '@domain/team';
import { startImportWorker } from '../import/start-worker';
import { fromThreadError, threadDied, type ThreadError } from '../import/thread-errors';
import { IoError } from '../io-error';
import type { VerifiedPack } from './read-pack';

/** `trusted`: the raw public keys (base64) a pack may be signed by; one signed by another key is refused early. */
export type TeamFileRequest = { kind: 'pack' | 'decisions'; file: string; trusted?: string[] };

type Reply<T> = { type: 'done'; result: T } | ThreadError;

function readOffThread<T>(request: TeamFileRequest): Promise<T> {
  const worker = startImportWorker(import.meta.url, 'team-file-worker', request);
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
    };
    worker.on('message', (message: Reply<T>) =>
      settle(() => (message.type === 'done' ? resolve(message.result) : reject(fromThreadError(message)))),
    );
    worker.on('error', (error) => settle(() => reject(threadDied(error, request.file))));
    worker.on('exit', (code) =>
      settle(() => reject(new IoError('io', `Reading ${request.file} stopped (worker exit code ${code}).`))),
    );
  });
}

/** readPack on a bounded thread. Images come back as Buffers (structured clone hands over plain Uint8Arrays). */
export async function readPackOffThread(file: string, trusted?: string[]): Promise<VerifiedPack> {
  const pack = await readOffThread<VerifiedPack>({ kind: 'pack', file, trusted });
  const images = new Map<string, Buffer>();
  for (const [sha, bytes] of pack.images)
    images.set(sha, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return { ...pack, images };
}

/** readDecisionsFile on a bounded thread. */
export function readDecisionsFileOffThread(file: string): Promise<DecisionsFile> {
  return readOffThread<DecisionsFile>({ kind: 'decisions', file });
}
