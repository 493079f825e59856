import { copyFile, mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkModelFolder, checkModelFolderDetailed } from '@main/engine/model-folder';
import { GUARDTRACE_PROMPT_SHA256 } from '@main/engine/profiles/guardtrace-vl';
import { DEFAULT_PROFILE } from '@main/engine/profiles';
import { loadSystemPrompt } from '@main/engine/profiles/profile';
import { TINY_LM, writeTinyModelFolder, type TinyModelFolder } from '../models/tiny-gguf';

let root: string;
let good: TinyModelFolder;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'gt-folder-'));
  good = await writeTinyModelFolder(path.join(root, 'good'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function variant(name: string, opts: Parameters<typeof writeTinyModelFolder>[1] = {}) {
  return writeTinyModelFolder(path.join(root, name), opts);
}

describe('checkModelFolder', () => {
  it('accepts a complete folder and reports the three files and the prompt hash', async () => {
    const c = await checkModelFolder(good.dir);
    expect(c).toEqual({
      ok: true,
      modelPath: good.modelPath,
      mmprojPath: good.mmprojPath,
      promptPath: good.promptPath,
      promptSha256: GUARDTRACE_PROMPT_SHA256,
      promptHashOk: true,
      errors: [],
      warnings: [],
    });
  });

  it('reads model facts from the header without loading it', async () => {
    const d = await checkModelFolderDetailed(good.dir);
    expect(d.model).toMatchObject({
      architecture: 'qwen2vl',
      quantization: 'F32',
      embeddingLength: TINY_LM.nEmbd,
      contextLength: 32_768,
    });
    expect(d.mmproj).toMatchObject({ projector: 'qwen2.5vl_merger', projectionDim: TINY_LM.nEmbd });
  });

  it('accepts the three files given individually', async () => {
    const c = await checkModelFolder({ model: good.modelPath, mmproj: good.mmprojPath, prompt: good.promptPath });
    expect(c.ok).toBe(true);
  });

  it('finds the prompt in prompts/', async () => {
    const f = await variant('prompts-sub');
    await mkdir(path.join(f.dir, 'prompts'));
    await copyFile(f.promptPath, path.join(f.dir, 'prompts', 'qta_pormpt.txt'));
    await unlink(f.promptPath);
    const c = await checkModelFolder(f.dir);
    expect(c.ok).toBe(true);
    expect(c.promptPath).toBe(path.join(f.dir, 'prompts', 'qta_pormpt.txt'));
  });

  it('missing prompt file: error naming the file and where it was looked for', async () => {
    const f = await variant('no-prompt');
    await unlink(f.promptPath);
    const c = await checkModelFolderDetailed(f.dir);
    expect(c.ok).toBe(false);
    expect(c.errors.join('\n')).toMatch(/qta_pormpt\.txt not found \(looked in the folder and in prompts\/\)/);
    expect(c.errorCode).toBe('model_folder_invalid');
  });

  it('missing folder and missing individual file are errors with the path', async () => {
    const missing = path.join(root, 'does-not-exist');
    expect((await checkModelFolder(missing)).errors[0]).toContain(missing);
    const c = await checkModelFolder({ model: path.join(root, 'nope.gguf'), prompt: good.promptPath });
    expect(c.ok).toBe(false);
    expect(c.errors[0]).toMatch(/nope\.gguf: the model file does not exist/);
  });

  it('a model file that is not a GGUF (bad magic) is an error naming the file', async () => {
    const f = await variant('bad-magic', { withMmproj: false });
    await writeFile(f.modelPath, '<html>404 Not Found</html>'.padEnd(64, ' '));
    const c = await checkModelFolder({ model: f.modelPath, mmproj: good.mmprojPath, prompt: f.promptPath });
    expect(c.ok).toBe(false);
    expect(c.errors.join('\n')).toMatch(
      new RegExp(`${f.modelPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: is not a GGUF file`),
    );
  });

  it('an mmproj that is not a GGUF is an mmproj error', async () => {
    const f = await variant('bad-mmproj');
    await writeFile(f.mmprojPath, Buffer.alloc(100, 7));
    const c = await checkModelFolderDetailed({ model: f.modelPath, mmproj: f.mmprojPath, prompt: f.promptPath });
    expect(c.ok).toBe(false);
    expect(c.errorCode).toBe('mmproj_mismatch');
    expect(c.errors.join('\n')).toContain(`${f.mmprojPath}: is not a GGUF file`);
  });

  it('mmproj projection_dim != LM embedding_length is an mmproj_mismatch saying both numbers', async () => {
    const f = await variant('mismatch', { mmprojProjectionDim: 96 });
    const c = await checkModelFolderDetailed(f.dir);
    expect(c.ok).toBe(false);
    expect(c.errorCode).toBe('mmproj_mismatch');
    expect(c.errors[0]).toMatch(/projection_dim is 96 but the language model's embedding_length is 64/);
  });

  it('wrong projector type is rejected', async () => {
    const f = await variant('wrong-projector', { withMmproj: false });
    const { writeGguf } = await import('@main/engine/gguf/gguf-writer');
    await writeGguf(
      path.join(f.dir, 'mmproj-llava.gguf'),
      [
        ['general.architecture', { type: 'string', value: 'clip' }],
        ['clip.projector_type', { type: 'string', value: 'mlp' }],
        ['clip.vision.projection_dim', { type: 'u32', value: 64 }],
      ],
      [],
    );
    const c = await checkModelFolderDetailed(f.dir);
    expect(c.errorCode).toBe('mmproj_mismatch');
    expect(c.errors[0]).toMatch(/projector type is "mlp", expected "qwen2.5vl_merger"/);
  });

  it('a language model of the wrong architecture is rejected', async () => {
    const f = await variant('wrong-arch', { withMmproj: false });
    const { writeGguf } = await import('@main/engine/gguf/gguf-writer');
    await writeGguf(f.modelPath, [['general.architecture', { type: 'string', value: 'llama' }]], []);
    const c = await checkModelFolderDetailed(f.dir);
    expect(c.ok).toBe(false);
    expect(c.errors[0]).toMatch(/architecture is "llama", expected "qwen2vl"/);
  });

  it('an mmproj chosen as the model is explained', async () => {
    const c = await checkModelFolder({ model: good.mmprojPath, prompt: good.promptPath });
    expect(c.errors[0]).toMatch(/vision projector \(mmproj\), not the language model/);
  });

  it('two language models in one folder is ambiguous', async () => {
    const f = await variant('two-lms');
    await copyFile(f.modelPath, path.join(f.dir, 'another-model.gguf'));
    const c = await checkModelFolder(f.dir);
    expect(c.errors[0]).toMatch(/several language-model \.gguf files/);
  });

  it('no mmproj: ok, with a warning that image cases cannot be audited', async () => {
    const f = await variant('no-mmproj', { withMmproj: false });
    const c = await checkModelFolder(f.dir);
    expect(c.ok).toBe(true);
    expect(c.mmprojPath).toBeNull();
    expect(c.warnings[0]).toMatch(/image cases cannot be audited/);
  });

  it('a modified prompt is a warning (not an error) with promptHashOk=false', async () => {
    const alt = path.join(root, 'alt-prompt.txt');
    await writeFile(alt, 'You are a safety auditor. Output Judgment.\n');
    const f = await variant('alt-prompt', { promptFile: alt });
    const c = await checkModelFolder(f.dir);
    expect(c.ok).toBe(true);
    expect(c.promptHashOk).toBe(false);
    expect(c.warnings.join('\n')).toMatch(/differs from GuardTrace-VL's.*accept prompt mismatch/);
  });

  it('loadSystemPrompt strips surrounding whitespace before hashing', async () => {
    const padded = path.join(root, 'padded.txt');
    const { text } = await loadSystemPrompt(good.promptPath, DEFAULT_PROFILE);
    await writeFile(padded, `\n\n  ${text}  \n\n`);
    expect(await loadSystemPrompt(padded, DEFAULT_PROFILE)).toMatchObject({
      text,
      sha256: GUARDTRACE_PROMPT_SHA256,
      hashOk: true,
    });
  });
});
