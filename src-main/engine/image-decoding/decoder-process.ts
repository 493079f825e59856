// The image-decoding process: an Electron utilityProcess in the app, a Node child process in the CLI and the tests
// (host-node.ts), its own bundle entry (out/main/image-decoder.js, electron.vite.config.ts). It holds no store, no
// settings and no secrets: it receives image bytes, answers with pixels or a header, and dies with its parent.
import { parseDecodeRequest, READY_MESSAGE, requestIdOf, type DecodeRequest, type DecodeResponse } from './protocol';
import { toDecodeFailure } from './image-decoder';
import { runDecodeJob } from './run-job';

interface ParentChannel {
  post(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
}

/** Electron's utilityProcess side of the channel (typed here: this file must run without Electron too). */
interface UtilityParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

/** utilityProcess gives `process.parentPort`; child_process.fork gives `process.send`. */
function parentChannel(): ParentChannel | null {
  const parentPort = (process as { parentPort?: UtilityParentPort }).parentPort;
  if (parentPort) {
    return {
      post: (message) => parentPort.postMessage(message),
      onMessage: (listener) => parentPort.on('message', (event) => listener(event.data)),
    };
  }
  if (typeof process.send === 'function') {
    // The parent went away (closed, killed, crashed): nothing is left to answer, so leave at once.
    process.on('disconnect', () => process.exit(0));
    return {
      post: (message) => process.send!(message),
      onMessage: (listener) => process.on('message', listener),
    };
  }
  return null;
}

async function answer(channel: ParentChannel, request: DecodeRequest): Promise<void> {
  let response: DecodeResponse;
  try {
    response = { id: request.id, ok: true, result: await runDecodeJob(request.job) };
  } catch (error) {
    response = { id: request.id, ok: false, error: toDecodeFailure(error) };
  }
  channel.post(response);
}

const channel = parentChannel();
if (!channel) {
  console.error('The GuardTrace image decoder runs only as a child of GuardTrace (no IPC channel).');
  process.exit(2);
} else {
  channel.onMessage((message) => {
    const request = parseDecodeRequest(message);
    if (request) {
      void answer(channel, request);
      return;
    }
    const id = requestIdOf(message);
    if (id !== null) {
      channel.post({
        id,
        ok: false,
        error: { name: 'Error', message: 'the request to the image decoder was malformed' },
      } satisfies DecodeResponse);
    }
  });
  channel.post(READY_MESSAGE);
}
