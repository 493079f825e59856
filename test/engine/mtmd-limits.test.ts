import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir';
import { writeTinyModelFolder } from '../models/tiny-gguf';

function runChild(modelDir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures', 'mtmd-limits-child.ts'), modelDir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('llama.node: libmtmd gets the reference vision-token range', () => {
  it('adopts 4..16,384 tokens (3,136..12,845,056 pixels) instead of its Qwen2.5-VL default 8..4,096', async () => {
    // Without it libmtmd resizes again: a 4K image prepared at 10,549 tokens would be shrunk to 4,096, a 10x10 one
    // (56x56, 4 tokens) enlarged to 84x84. llama.node's tokenize() does not count image tokens and its log callback
    // does not carry libmtmd's lines, so the child's own output is the witness.
    const folder = await writeTinyModelFolder(path.join(tempDir('guardtrace-mtmd-'), 'model'));
    const { code, output } = await runChild(folder.dir);
    expect(code, output.slice(-2000)).toBe(0);
    expect(output).toMatch(/image_min_pixels:\s+3136 \(custom value\)/);
    expect(output).toMatch(/image_max_pixels:\s+12845056 \(custom value\)/);
  }, 120_000);
});
