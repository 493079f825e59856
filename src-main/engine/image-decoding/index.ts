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

/** Replaces this process's decoder and returns the previous one, which the caller may restore or dispose. */
export function installImageDecoder(decoder: ImageDecoder): ImageDecoder | null {
  const previous = current;
  current = decoder;
  return previous;
}

/** Replaces this process's decoder with one over `host` (the app's utilityProcess); the previous one is stopped. */
export async function installImageDecoderHost(host: DecoderProcessHost): Promise<void> {
  await installImageDecoder(new ProcessImageDecoder(host))?.dispose();
}
