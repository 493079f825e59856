// The thread that reads a pack or a decisions file for the thread that started it (team-file-reader.ts): both come
// from another machine, so their parsing runs here, under a bounded heap, never on the app's main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { toThreadError } from '../import/thread-errors';
import { readDecisionsFile } from './decisions-reader';
import { readPack } from './read-pack';
import type { TeamFileRequest } from './team-file-reader';

async function run(): Promise<void> {
  const request = workerData as TeamFileRequest;
  try {
    const result =
      request.kind === 'pack' ? await readPack(request.file, request.trusted) : await readDecisionsFile(request.file);
    parentPort!.postMessage({ type: 'done', result });
  } catch (error) {
    parentPort!.postMessage(toThreadError(error));
  }
}

void run();
