// `guardtrace model convert HF_DIR --out DIR …`: exit 0 with a folder the app's model check passes, exit 2 on bad
// input with the file named and no output folder, and usage errors before anything is read.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { tempDir } from '../helpers/temp-dir';
import { hfTensorsFromTinyGguf, writeTinyHfCheckpoint } from '../models/tiny-hf-checkpoint';
import { SHARED_PROMPT_FILE, TINY_LM, TINY_VISION, writeTinyModelFolder } from '../models/tiny-gguf';

const root = tempDir('gt-cli-convert-');
let hfDir: string;

beforeAll(async () => {
  const tiny = await writeTinyModelFolder(path.join(root, 'tiny'), { seed: 3 });
  hfDir = path.join(root, 'Tiny-Qwen2.5-VL');
  await writeTinyHfCheckpoint(hfDir, await hfTensorsFromTinyGguf(tiny.modelPath, tiny.mmprojPath), {
    lm: TINY_LM,
    vision: TINY_VISION,
    layout: { modern: true, dtype: 'BF16', shards: 2 },
  });
});

describe('guardtrace model convert', () => {
  it('converts to Q8_0 with the prompt: exit 0, the folder passes the model check, and says how to load it', async () => {
    const out = path.join(root, 'converted');
    const r = await runCli(['model', 'convert', hfDir, '--out', out, '--type', 'q8_0', '--prompt', SHARED_PROMPT_FILE]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('The model check passed');
    expect(r.stdout).toContain(`guardtrace audit --model ${out}`);
    expect((await readdir(out)).sort()).toEqual(
      [
        'Tiny-Qwen2.5-VL-Q8_0.gguf',
        'conversion.json',
        'generation_config.json',
        'mmproj-Tiny-Qwen2.5-VL-F16.gguf',
        'qta_pormpt.txt',
      ].sort(),
    );
    // Progress went to stderr, phase by phase (not a terminal here, so one line per phase).
    expect(r.stderr).toMatch(/checksums…[\s\S]*model…[\s\S]*mmproj…/);
  });

  it('--json prints the result', async () => {
    const out = path.join(root, 'converted-json');
    const r = await runCli([
      'model',
      'convert',
      hfDir,
      '--out',
      out,
      '--type',
      'f16',
      '--mmproj-type',
      'f32',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { modelPath: string; check: { model: { quantization: string } } };
    expect(result.check.model.quantization).toBe('F16');
    expect(path.basename(result.modelPath)).toBe('Tiny-Qwen2.5-VL-F16.gguf');
  });

  it('bad input exits 2, names the file, and leaves no output folder', async () => {
    const out = path.join(root, 'never');
    const r = await runCli(['model', 'convert', path.join(root, 'tiny'), '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(path.join(root, 'tiny', 'config.json'));
    expect(
      await stat(out).then(
        () => true,
        () => false,
      ),
    ).toBe(false);
  });

  it('usage errors exit 2 before anything is read', async () => {
    for (const args of [
      ['model', 'convert', hfDir],
      ['model', 'convert', hfDir, '--out', path.join(root, 'x'), '--type', 'q4_0'],
      ['model', 'convert', hfDir, '--out', path.join(root, 'x'), '--mmproj-type', 'q8_0'],
      ['model', 'shrink', hfDir, '--out', path.join(root, 'x')],
    ]) {
      const r = await runCli(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(/--out DIR is required|must be one of|unknown model subcommand/);
    }
    expect((await runCli(['model', '--help'])).stdout).toContain(
      'guardtrace model convert HF_DIR --out DIR [--type f16|q8_0|q4_k_m|q5_k_m|q6_k] [--mmproj-type f16|f32] [--prompt FILE]',
    );
  });
});
