// Untrusted images are decoded in a separate process (src-main/engine/image-decoding): results byte-identical to
// the in-process functions, the same errors, and a crash, hang or lie of the decoder fails only that image.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareCaseImage } from '@main/engine/audit-common';
import { EngineError, type AuditInput } from '@main/engine/engine';
import {
  ImageDecoderProcessError,
  ProcessImageDecoder,
  installImageDecoder,
  imageDecoder,
} from '@main/engine/image-decoding';
import { nodeChildProcessHost } from '@main/engine/image-decoding/host-node';
import { PortImageDecoder, serveImageDecoder } from '@main/engine/image-decoding/relay';
import { checkResult, parseDecodeRequest, parseDecodeResponse } from '@main/engine/image-decoding/protocol';
import {
  ImageAspectRatioError,
  ImagePrepError,
  REFERENCE_MAX_PIXELS,
  SMALL_MAX_PIXELS,
  prepareImage,
} from '@main/engine/image-prep';
import { inspectImage } from '@main/io/import/image-intake';
import { importFileOffThread } from '@main/io/import/off-thread';
import type { ImageDecoder } from '@main/engine/image-decoding';
import { alive, childPids } from '../helpers/processes';
import { REPO_ROOT, SAMPLE_SET_DIR } from '../helpers/shared-dir';
import { tempDir } from '../helpers/temp-dir';

const HOSTILE_ENTRY = new URL('../helpers/hostile-decoder-entry.ts', import.meta.url);
const marked = (marker: string) => Buffer.concat([Buffer.from(marker, 'latin1'), Buffer.alloc(64)]);
function solid(w: number, h: number, format: 'png' | 'jpeg' | 'webp' = 'png', channels: 3 | 4 = 3): Promise<Buffer> {
  const background = { r: 51, g: 102, b: 153, alpha: 0.5 };
  const image = sharp({ create: { width: w, height: h, channels, background } });
  return image[format]().toBuffer();
}

async function fixtures(): Promise<Array<[string, Buffer]>> {
  const dir = path.join(SAMPLE_SET_DIR, 'images');
  const samples = readdirSync(dir).map((name): [string, Buffer] => [name, readFileSync(path.join(dir, name))]);
  return [
    ...samples,
    ['1920x1080.jpeg', await solid(1920, 1080, 'jpeg')],
    ['rgba.png', await solid(300, 200, 'png', 4)],
    ['tiny.webp', await solid(10, 10, 'webp')],
  ];
}

const decoders: ProcessImageDecoder[] = [];
function hostileDecoder(options: { jobTimeoutMs?: number } = {}): ProcessImageDecoder {
  const decoder = new ProcessImageDecoder(nodeChildProcessHost({ entry: HOSTILE_ENTRY }), {
    startTimeoutMs: 120_000,
    ...options,
  });
  decoders.push(decoder);
  return decoder;
}

afterAll(async () => {
  await Promise.all(decoders.map((d) => d.dispose()));
});

describe('the decoder process gives what the in-process functions give', () => {
  it('prepare: byte-identical PNG and PPM for every fixture, at the reference and the small budget', async () => {
    const decoder = imageDecoder();
    for (const [name, bytes] of await fixtures()) {
      for (const maxPixels of [REFERENCE_MAX_PIXELS, SMALL_MAX_PIXELS]) {
        for (const format of ['png', 'ppm'] as const) {
          const direct = await prepareImage(bytes, maxPixels, format);
          const viaProcess = await decoder.prepare(bytes, { maxPixels, format });
          const label = `${name} ${maxPixels} ${format}`;
          expect({ ...viaProcess, bytes: null }, label).toEqual({ ...direct, bytes: null });
          expect(Buffer.compare(Buffer.from(viaProcess.bytes), direct.bytes), label).toBe(0);
        }
      }
    }
  }, 120_000);

  it('inspect: the header sharp reads in-process, and inspectImage decides as before', async () => {
    for (const [name, bytes] of await fixtures()) {
      const meta = await sharp(bytes, { limitInputPixels: false, pages: 1 }).metadata();
      expect(await imageDecoder().inspect(bytes), name).toEqual({
        format: meta.format,
        width: meta.width,
        height: meta.pageHeight ?? meta.height,
      });
      const check = await inspectImage(bytes, name);
      expect(check.ok && check.image.width, name).toBe(meta.width);
    }
  }, 120_000);

  it('the same errors, as the same classes, with the same messages', async () => {
    const garbage = Buffer.from('not an image at all');
    const direct = (await prepareImage(garbage).catch((e: unknown) => e)) as Error;
    const viaProcess = (await imageDecoder()
      .prepare(garbage, { maxPixels: REFERENCE_MAX_PIXELS })
      .catch((e: unknown) => e)) as Error;
    expect(direct).toBeInstanceOf(ImagePrepError);
    expect(viaProcess).toBeInstanceOf(ImagePrepError);
    expect(viaProcess.message).toBe(direct.message);

    const sliver = await solid(402, 2);
    const refused = await imageDecoder()
      .prepare(sliver, { maxPixels: REFERENCE_MAX_PIXELS })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ImageAspectRatioError);
    expect(refused).toMatchObject({ width: 402, height: 2 });
    expect((refused as Error).message).toBe(new ImageAspectRatioError(402, 2).message);

    // A PNG signature over a broken header: the importer's reason names the file and says it is damaged, as before.
    const broken = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(40)]);
    const check = await inspectImage(broken, 'broken.png');
    expect(check.ok).toBe(false);
    if (!check.ok)
      expect(check.reason).toMatch(
        /^broken\.png looks like image\/png but its header cannot be read \(.+\); the file is damaged$/,
      );
  }, 60_000);

  it('through the import worker relay (a MessagePort to the main thread) as well', async () => {
    const { port1, port2 } = new MessageChannel();
    serveImageDecoder(port1, imageDecoder());
    const relayed = new PortImageDecoder(port2);
    try {
      const [name, bytes] = (await fixtures())[0];
      const direct = await prepareImage(bytes, REFERENCE_MAX_PIXELS, 'ppm');
      const viaRelay = await relayed.prepare(bytes, { maxPixels: REFERENCE_MAX_PIXELS, format: 'ppm' });
      expect(Buffer.compare(Buffer.from(viaRelay.bytes), direct.bytes), name).toBe(0);
      await expect(relayed.prepare(Buffer.from('junk'), { maxPixels: REFERENCE_MAX_PIXELS })).rejects.toBeInstanceOf(
        ImagePrepError,
      );
      const sliver = await solid(402, 2);
      await expect(relayed.prepare(sliver, { maxPixels: REFERENCE_MAX_PIXELS })).rejects.toMatchObject({
        name: 'ImageAspectRatioError',
        width: 402,
      });
    } finally {
      await relayed.dispose();
      port1.close();
    }
  }, 60_000);
});

describe('where the decoding happens', () => {
  it("the import worker's image headers are read by the main thread's decoder (no sharp on the worker)", async () => {
    const real = imageDecoder();
    const inspected: number[] = [];
    const counting: ImageDecoder = {
      prepare: (bytes, options) => real.prepare(bytes, options),
      inspect: (bytes) => {
        inspected.push(bytes.byteLength);
        return real.inspect(bytes);
      },
      dispose: async () => undefined,
    };
    installImageDecoder(counting);
    try {
      const dataDir = path.join(tempDir('guardtrace-decoder-import-'), 'data');
      const summary = await importFileOffThread({ dataDir }, { file: path.join(SAMPLE_SET_DIR, 'cases.json') });
      expect(summary.imported).toBeGreaterThan(0);
      // The sample set holds 4 distinct images (test/io/import.test.ts): each header is read once, here.
      expect(inspected).toHaveLength(4);
    } finally {
      installImageDecoder(real);
    }
  }, 120_000);
});

describe('a hostile image fails only itself', () => {
  it('a crash fails that image with a clear error; the next image decodes in a new process', async () => {
    const decoder = hostileDecoder();
    const good = await solid(64, 64);
    await decoder.prepare(good, { maxPixels: REFERENCE_MAX_PIXELS });
    const firstPid = decoder.pid;
    const crash = await decoder.prepare(marked('CRASH'), { maxPixels: REFERENCE_MAX_PIXELS }).catch((e: unknown) => e);
    expect(crash).toBeInstanceOf(ImageDecoderProcessError);
    expect(crash).toMatchObject({ reason: 'crashed' });
    expect((crash as Error).message).toMatch(/child process ended while decoding this image \(signal SIGKILL\)/);
    const after = await decoder.prepare(good, { maxPixels: REFERENCE_MAX_PIXELS });
    expect(after.width).toBe(56);
    expect(decoder.pid).not.toBe(firstPid);
    expect(alive(firstPid!)).toBe(false);
  }, 120_000);

  it('images in flight beside the crashing one are decoded again, alone, and succeed', async () => {
    const decoder = hostileDecoder();
    const good = await solid(100, 80);
    const expected = await prepareImage(good);
    const results = await Promise.allSettled([
      decoder.prepare(good, { maxPixels: REFERENCE_MAX_PIXELS }),
      decoder.prepare(marked('CRASH'), { maxPixels: REFERENCE_MAX_PIXELS }),
      decoder.prepare(good, { maxPixels: REFERENCE_MAX_PIXELS }),
      decoder.inspect(good),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    for (const r of [results[0], results[2]])
      if (r.status === 'fulfilled') expect(Buffer.compare(Buffer.from(r.value.bytes), expected.bytes)).toBe(0);
    expect(results[1].status === 'rejected' && results[1].reason).toMatchObject({ reason: 'crashed' });
  }, 120_000);

  it('a hang is stopped at the per-job timeout; the next image decodes', async () => {
    // Long enough for a normal job on a loaded machine (the next image below runs under the same limit).
    const decoder = hostileDecoder({ jobTimeoutMs: 4_000 });
    const good = await solid(64, 64);
    await decoder.inspect(good); // started and ready: the timeout below measures the job, not the start
    const hungPid = decoder.pid;
    const hang = await decoder.prepare(marked('HANG!'), { maxPixels: REFERENCE_MAX_PIXELS }).catch((e: unknown) => e);
    expect(hang).toMatchObject({ name: 'ImageDecoderProcessError', reason: 'timeout' });
    expect((hang as Error).message).toMatch(/spent more than 4 s on this image and was stopped/);
    expect((await decoder.inspect(good)).width).toBe(64);
    expect(decoder.pid).not.toBe(hungPid);
  }, 120_000);

  it('an inconsistent or malformed answer is not believed, and the process is replaced', async () => {
    const decoder = hostileDecoder();
    const lie = await decoder
      .prepare(marked('LIE!!'), { maxPixels: REFERENCE_MAX_PIXELS, format: 'ppm' })
      .catch((e: unknown) => e);
    expect(lie).toMatchObject({ reason: 'invalid_response' });
    expect((lie as Error).message).toMatch(/inconsistent result \(the PPM does not hold its pixels\)/);
    const junk = await decoder.inspect(marked('JUNK!')).catch((e: unknown) => e);
    expect(junk).toMatchObject({ reason: 'invalid_response' });
    expect((await decoder.inspect(await solid(30, 20))).height).toBe(20);
    // A message that names no job, sent while others are in flight: only the image behind it fails.
    const good = await solid(30, 20);
    const results = await Promise.allSettled([
      decoder.inspect(good),
      decoder.inspect(marked('JUNK!')),
      decoder.inspect(good),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  }, 120_000);

  it('a decoder that cannot start fails the queued jobs after 3 tries; at audit that pauses the batch (load_failed)', async () => {
    const entry = path.join(tempDir('guardtrace-decoder-exit-'), 'exits-at-once.mjs');
    writeFileSync(entry, 'process.exit(3);\n');
    const decoder = new ProcessImageDecoder(nodeChildProcessHost({ entry: pathToFileURL(entry) }));
    decoders.push(decoder);
    const error = await decoder.inspect(await solid(8, 8)).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'start_failed' });
    expect((error as Error).message).toBe('the image decoder child process ended before it was ready (exit code 3)');
    const previous = installImageDecoder(decoder);
    try {
      const input = {
        caseId: 'c1',
        image: { bytes: await solid(8, 8), mime: 'image/png' },
        imageMissing: false,
      } as unknown as AuditInput;
      await expect(prepareCaseImage(input, REFERENCE_MAX_PIXELS)).rejects.toMatchObject({
        name: 'EngineError',
        code: 'load_failed',
      });
    } finally {
      installImageDecoder(previous!);
    }
  }, 120_000);

  it('at audit, a crash fails the case (image_refused, no retry), never an audit without the image', async () => {
    const previous = imageDecoder();
    const decoder = hostileDecoder();
    installImageDecoder(decoder);
    try {
      const input = {
        caseId: 'case-crash',
        query: 'q',
        thinking: 't',
        response: 'r',
        image: { bytes: marked('CRASH'), mime: 'image/png', sha256: 'x' },
        imageMissing: false,
      } as unknown as AuditInput;
      const error = await prepareCaseImage(input, REFERENCE_MAX_PIXELS).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EngineError);
      expect(error).toMatchObject({ code: 'image_refused', details: { caseId: 'case-crash', decoder: 'crashed' } });
      expect((error as Error).message).toMatch(
        /^Case case-crash: the image decoder child process ended while decoding this image .*Re-encode the image/,
      );
      // An image that merely does not decode keeps its old outcome: audited as missing, with the note.
      const junk = await prepareCaseImage(
        { ...input, image: { ...input.image!, bytes: Buffer.from('junk') } },
        REFERENCE_MAX_PIXELS,
      );
      expect(junk).toMatchObject({ imageMissing: true, dataUri: null });
      expect(junk.note).toMatch(/^case case-crash: the image could not be decoded/);
    } finally {
      installImageDecoder(previous);
    }
  }, 120_000);

  it('dispose stops the process and leaves no child behind; pending jobs fail as disposed', async () => {
    const decoder = hostileDecoder();
    await decoder.inspect(await solid(8, 8));
    const pid = decoder.pid!;
    expect(childPids(process.pid, 'node')).toContain(pid);
    const pending = decoder.prepare(marked('HANG!'), { maxPixels: REFERENCE_MAX_PIXELS }).catch((e: unknown) => e);
    await decoder.dispose();
    expect(await pending).toMatchObject({ reason: 'disposed' });
    expect(alive(pid)).toBe(false);
    expect(childPids(process.pid, 'node')).not.toContain(pid);
    await expect(decoder.inspect(await solid(8, 8))).rejects.toMatchObject({ reason: 'disposed' });
  }, 120_000);
});

describe('no other code parses images', () => {
  it('sharp is imported only by image-prep.ts and the decoder job, and only the job calls the decoding functions', () => {
    const root = path.join(REPO_ROOT, 'src-main');
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tsx?$/.test(f));
    const importsSharp: string[] = [];
    const callsDecoding: string[] = [];
    for (const file of files) {
      const text = readFileSync(path.join(root, file), 'utf8');
      if (/from ['"]sharp['"]|import\(['"]sharp['"]\)|require\(['"]sharp['"]\)/.test(text)) importsSharp.push(file);
      if (file !== path.join('engine', 'image-prep.ts') && /\b(prepareImage|decodeLikePil)\(/.test(text))
        callsDecoding.push(file);
    }
    // io/demo/sample-images.ts renders the sample workspace's own SVG drawings (constants in that file) to PNG: no
    // untrusted bytes reach sharp there, so it may run in process; every other use is the decoder job's.
    expect(importsSharp.sort()).toEqual([
      path.join('engine', 'image-decoding', 'run-job.ts'),
      path.join('engine', 'image-prep.ts'),
      path.join('io', 'demo', 'sample-images.ts'),
    ]);
    expect(callsDecoding).toEqual([path.join('engine', 'image-decoding', 'run-job.ts')]);
  });
});

describe('the decoder process never outlives its parent', () => {
  /** A GuardTrace-like parent: decodes one image with this process's decoder, prints the decoder's pid. */
  function parent(thenWhat: 'exit' | 'stay') {
    const script = `
      const { imageDecoder } = await import(${JSON.stringify(new URL('../../src-main/engine/image-decoding/index.ts', import.meta.url).href)});
      const sharp = (await import('sharp')).default;
      const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer();
      const decoder = imageDecoder();
      await decoder.inspect(png);
      console.log('decoder-pid=' + decoder.pid);
      ${thenWhat === 'stay' ? 'setInterval(() => {}, 1000);' : ''}`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const decoderPid = new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        const match = /decoder-pid=(\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      child.on('exit', () => reject(new Error(`the parent exited before printing the decoder pid: ${out}`)));
    });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    return { child, decoderPid, exited };
  }

  async function gone(pid: number, withinMs: number): Promise<boolean> {
    const deadline = Date.now() + withinMs;
    while (Date.now() < deadline) {
      if (!alive(pid)) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return !alive(pid);
  }

  it('a parent whose work is done exits on its own (an idle decoder keeps nothing alive), and the decoder follows', async () => {
    const run = parent('exit');
    const pid = await run.decoderPid;
    await run.exited;
    expect(await gone(pid, 10_000)).toBe(true);
  }, 120_000);

  it('SIGKILL of the parent: the decoder ends within 10 s', async () => {
    const run = parent('stay');
    const pid = await run.decoderPid;
    expect(alive(pid)).toBe(true);
    run.child.kill('SIGKILL');
    await run.exited;
    expect(await gone(pid, 10_000)).toBe(true);
  }, 120_000);
});

describe('the messages are checked on both sides', () => {
  const bytes = new Uint8Array([1, 2, 3]);
  it('requests: exact shapes only', () => {
    expect(parseDecodeRequest({ id: 1, job: { kind: 'inspect', bytes } })).not.toBeNull();
    expect(
      parseDecodeRequest({ id: 1, job: { kind: 'prepare', bytes, maxPixels: 12845056, format: 'ppm' } }),
    ).not.toBeNull();
    for (const bad of [
      null,
      'x',
      { id: -1, job: { kind: 'inspect', bytes } },
      { id: 1.5, job: { kind: 'inspect', bytes } },
      { id: 1, job: { kind: 'inspect', bytes: [1, 2, 3] } },
      { id: 1, job: { kind: 'inspect', bytes, path: '/etc/passwd' } },
      { id: 1, job: { kind: 'exec', bytes } },
      { id: 1, job: { kind: 'prepare', bytes, maxPixels: 10, format: 'png' } },
      { id: 1, job: { kind: 'prepare', bytes, maxPixels: 12845056, format: 'bmp' } },
      { id: 1, job: { kind: 'inspect', bytes }, extra: true },
    ]) {
      expect(parseDecodeRequest(bad), JSON.stringify(bad)).toBeNull();
    }
  });

  it('responses: exact shapes, and a prepared image must hold what it claims', () => {
    expect(parseDecodeResponse({ id: 1, ok: true, result: { format: 'png', width: 2, height: 3 } })).not.toBeNull();
    expect(parseDecodeResponse({ id: 1, ok: false, error: { name: 'ImagePrepError', message: 'x' } })).not.toBeNull();
    expect(parseDecodeResponse({ id: 1, ok: true, result: { format: 'png', width: -2, height: 3 } })).toBeNull();
    expect(parseDecodeResponse({ id: 1, ok: true })).toBeNull();
    expect(parseDecodeResponse({ id: 1, ok: false, error: { name: 'x', message: 'y', stack: 'z' } })).toBeNull();
    const job = { kind: 'prepare' as const, bytes, maxPixels: REFERENCE_MAX_PIXELS, format: 'ppm' as const };
    const header = Buffer.from('P6\n28 28\n255\n', 'latin1');
    const ppm = new Uint8Array(Buffer.concat([header, Buffer.alloc(28 * 28 * 3)]));
    const result = { bytes: ppm, mime: 'image/x-portable-pixmap' as const, width: 28, height: 28, visionTokens: 1 };
    expect(checkResult(job, result)).toBeNull();
    expect(checkResult(job, { ...result, visionTokens: 2 })).toMatch(/2 vision tokens/);
    expect(checkResult(job, { ...result, width: 30 })).toMatch(/not a multiple of 28/);
    expect(checkResult(job, { ...result, mime: 'image/png' })).toMatch(/image\/png for ppm/);
    expect(checkResult(job, { ...result, bytes: ppm.subarray(1) })).toMatch(/does not hold its pixels/);
    expect(checkResult(job, { format: 'png', width: 1, height: 1 })).toMatch(/header came back/);
    expect(checkResult({ kind: 'inspect', bytes }, result)).toMatch(/prepared image came back/);
  });
});
