// The image decoder of this process. One per GuardTrace process, started on first use: the CLI and the tests get a
// Node child process; the Electron app installs one over a utilityProcess at start (createCore's
// imageDecoderHost); the import's worker thread installs a relay to its main thread (off-thread.ts).
import { nodeChildProcessHost } from './host-node';
import { ProcessImageDecoder, type DecoderProcessHost, type ImageDecoder } from './image-decoder';

export {
  ImageDecoderProcessError,
  ProcessImageDecoder,
  type DecoderProcess,
  type DecoderProcessHost,
  type ImageDecoder,
  type ImageHeader,
  type PreparedImage,
} from './image-decoder';

let current: ImageDecoder | null = null;

export function imageDecoder(): ImageDecoder {
  current ??= new ProcessImageDecoder(nodeChildProcessHost());
  return current;
}

/** Replaces this process's decoder; the previous one is disposed (its process stopped). */
export async function installImageDecoder(decoder: ImageDecoder): Promise<void> {
  const previous = current;
  current = decoder;
  if (previous && previous !== decoder) await previous.dispose();
}

/** Replaces this process's decoder with one over `host` (the app's utilityProcess). */
export function installImageDecoderHost(host: DecoderProcessHost): Promise<void> {
  return installImageDecoder(new ProcessImageDecoder(host));
}
