// A stand-in for a decoder process that a hostile image subverted. It runs the real decoder
// (src-main/engine/image-decoding/decoder-process.ts), except for images whose bytes start with a marker:
//   CRASH → the process dies at once (as a segfault in libvips would end it);
//   HANG! → the process never answers (an endless decode loop, without burning a core here);
//   LIE!! → it answers with a result that contradicts itself (a PPM that does not hold its pixels);
//   JUNK! → it answers with a message that is not a response at all.
// Test-only: loaded by ProcessImageDecoder through nodeChildProcessHost({ entry }).
const marker = (message: unknown): string | null => {
  const bytes = (message as { job?: { bytes?: unknown } } | null)?.job?.bytes;
  return bytes instanceof Uint8Array ? Buffer.from(bytes.subarray(0, 5)).toString('latin1') : null;
};

const realListeners: Array<(message: unknown) => void> = [];
const originalOn = process.on.bind(process);
// The real decoder's 'message' listener is kept aside so markers are handled first and the rest passed on.
process.on = ((event: string, listener: (...args: unknown[]) => void) => {
  if (event === 'message') realListeners.push(listener as (message: unknown) => void);
  else originalOn(event, listener);
  return process;
}) as typeof process.on;

originalOn('message', (message: unknown) => {
  const id = (message as { id?: number }).id;
  switch (marker(message)) {
    case 'CRASH':
      process.kill(process.pid, 'SIGKILL');
      return;
    case 'HANG!':
      return;
    case 'LIE!!':
      process.send!({
        id,
        ok: true,
        result: { bytes: new Uint8Array(10), mime: 'image/x-portable-pixmap', width: 28, height: 28, visionTokens: 1 },
      });
      return;
    case 'JUNK!':
      process.send!({ hello: 'world' });
      return;
    default:
      for (const listener of realListeners) listener(message);
  }
});

await import('@main/engine/image-decoding/decoder-process');

export {};
