// Which optional flags this llama-server binary knows: builds differ (the bundled llama.cpp moves with
// node-llama-cpp, a user may point Settings at their own binary), and an unknown flag makes the server exit.
import { execFile } from 'node:child_process';

export interface LlamaServerFlags {
  /** `--kv-unified`: one KV pool shared by all slots instead of N fixed slices. */
  kvUnified: boolean;
  /** `--kv-unified-per-slot N`: caps what one slot may take from the shared pool. */
  kvUnifiedPerSlot: boolean;
  /** `--image-min-tokens`/`--image-max-tokens`: pin libmtmd's image resize range to the reference's (docs/fidelity.md). */
  imageTokenRange: boolean;
}

const NONE: LlamaServerFlags = { kvUnified: false, kvUnifiedPerSlot: false, imageTokenRange: false };

const cache = new Map<string, Promise<LlamaServerFlags>>();

export function llamaServerFlags(binaryPath: string): Promise<LlamaServerFlags> {
  let flags = cache.get(binaryPath);
  if (!flags) {
    flags = readHelp(binaryPath).then(parseFlags, () => NONE);
    cache.set(binaryPath, flags);
  }
  return flags;
}

export function parseFlags(help: string): LlamaServerFlags {
  return {
    kvUnified: /(^|\s)--kv-unified(\s|,|$)/m.test(help),
    kvUnifiedPerSlot: /(^|\s)--kv-unified-per-slot\s/m.test(help),
    imageTokenRange: /(^|\s)--image-max-tokens(\s|,|$)/m.test(help) && /(^|\s)--image-min-tokens(\s|,|$)/m.test(help),
  };
}

function readHelp(binaryPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binaryPath, ['--help'], { timeout: 20_000, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      const text = `${stdout}\n${stderr}`;
      // Some builds exit non-zero after printing the help; the text is what matters.
      if (error && !text.includes('--ctx-size')) reject(error);
      else resolve(text);
    });
  });
}
