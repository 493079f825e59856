// The decoder process of the CLI and the tests: a plain Node child process with an IPC channel (structured-clone
// serialization, so image bytes travel as bytes). From the TypeScript sources it is compiled by tsx, as the import
// worker is (io/import/off-thread.ts). The bundled app uses a utilityProcess instead (app/image-decoder-host.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tsxBootstrapSource } from '../../platform/tsx-bootstrap';
import type { DecoderProcess, DecoderProcessHost } from './image-decoder';

/** The decoder's JavaScript heap (pixels live outside it, in buffers, and are bounded by the image limits). */
export const DECODER_MAX_OLD_SPACE_MB = 1024;

export interface NodeDecoderHostOptions {
  /** A different entry module (tests use it to stand in a decoder that crashes or hangs). */
  entry?: URL;
  maxOldSpaceMb?: number;
}

export function nodeChildProcessHost(options: NodeDecoderHostOptions = {}): DecoderProcessHost {
  return {
    kind: 'child process',
    start(events) {
      const args = [
        `--max-old-space-size=${options.maxOldSpaceMb ?? DECODER_MAX_OLD_SPACE_MB}`,
        ...entryArgs(options.entry),
      ];
      const child = spawn(process.execPath, args, {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        serialization: 'advanced',
        // Nothing of the parent's environment is needed beyond where Node finds things; no secrets cross.
        env: pickEnv(['PATH', 'HOME', 'TMPDIR', 'TEMP', 'TMP', 'SYSTEMROOT', 'LANG', 'VIPS_WARNING']),
        windowsHide: true,
      });
      child.on('message', (message) => events.message(message));
      child.on('error', (error) => events.exit(`could not run: ${error.message}`));
      child.on('exit', (code, signal) => events.exit(signal ? `signal ${signal}` : `exit code ${code}`));
      return childHandle(child);
    },
  };
}

function childHandle(child: ChildProcess): DecoderProcess {
  return {
    get pid() {
      return child.pid;
    },
    send(request) {
      // A send to a process that just died fails here and its 'exit' reports it; nothing else to do.
      if (child.connected) child.send(request, (error) => void error);
    },
    setBusy(busy) {
      const channel = child.channel as { ref?(): void; unref?(): void } | null | undefined;
      if (busy) {
        child.ref();
        channel?.ref?.();
      } else {
        child.unref();
        channel?.unref?.();
      }
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

function entryArgs(entry: URL | undefined): string[] {
  const here = import.meta.url;
  if (!entry && !here.endsWith('.ts')) {
    // Bundled, this module may sit in a shared chunk, and a Node child of the Electron binary would need RunAsNode
    // (off in the packaged app): the app installs its utilityProcess host instead (createCore's imageDecoderHost).
    throw new Error('a bundled build has no Node decoder entry; it must install its own decoder host');
  }
  const target = entry ?? new URL('./decoder-process.ts', here);
  if (!target.href.endsWith('.ts')) return [fileURLToPath(target)];
  return ['--input-type=module', '-e', tsxBootstrapSource(target.href)];
}

function pickEnv(names: string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of names) if (process.env[name] !== undefined) env[name] = process.env[name];
  return env;
}
