// The app's image-decoding process: an Electron utilityProcess running the `image-decoder` bundle entry
// (engine/image-decoding/decoder-process.ts). It is not OS-sandboxed: sharp is a native addon, and a Chromium
// sandbox of the renderer kind cannot load one (docs/security.md, "Images"). What it gets instead: its own
// process (a crash or a subverted decoder stays there), no store, no settings, no secrets, a small environment,
// and nothing it sends is believed unchecked.
import { utilityProcess } from 'electron';
import type { DecoderProcessHost } from '../api/core';

/** The decoder's JavaScript heap (pixels live outside it, in buffers bounded by the image limits). */
const DECODER_MAX_OLD_SPACE_MB = 1024;

export function utilityProcessDecoderHost(entry: string): DecoderProcessHost {
  return {
    kind: 'utility process',
    start(events) {
      const child = utilityProcess.fork(entry, [], {
        serviceName: 'GuardTrace image decoder',
        stdio: 'inherit',
        execArgv: [`--max-old-space-size=${DECODER_MAX_OLD_SPACE_MB}`],
        env: pickEnv(['PATH', 'HOME', 'TMPDIR', 'TEMP', 'TMP', 'SYSTEMROOT', 'LANG']),
      });
      child.on('message', (message: unknown) => events.message(message));
      child.on('error', (type: string) => events.exit(`error ${type}`));
      child.on('exit', (code: number) => events.exit(`exit code ${code}`));
      return {
        get pid() {
          return child.pid;
        },
        send: (request) => child.postMessage(request),
        // The main process lives on while the window is open: nothing to keep alive.
        setBusy: () => undefined,
        kill: () => void child.kill(),
      };
    },
  };
}

function pickEnv(names: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of names) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}
