// The cost of decoding in a separate process: median time per image, in-process vs through the decoder process,
// over 50 distinct photo-like JPEGs of 1024x768 and 50 PNGs of 448x448 (noise, so nothing can be cached). Not a test; run with
//   node --import tsx test/bench/image-decoder-overhead.ts
// and put the figures (with the machine's load) in docs/security.md.
import os from 'node:os';
import sharp from 'sharp';
import { imageDecoder } from '@main/engine/image-decoding';
import { prepareImage, REFERENCE_MAX_PIXELS } from '@main/engine/image-prep';

const COUNT = 50;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function photo(seed: number, width = 1024, height = 768, format: 'jpeg' | 'png' = 'jpeg'): Promise<Buffer> {
  const rgb = Buffer.alloc(width * height * 3);
  let x = seed * 2654435761;
  for (let i = 0; i < rgb.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    rgb[i] = (x >>> 16) & 0xff;
  }
  const image = sharp(rgb, { raw: { width, height, channels: 3 } });
  return format === 'png' ? image.png().toBuffer() : image.jpeg({ quality: 85 }).toBuffer();
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const images = await Promise.all(Array.from({ length: COUNT }, (_, i) => photo(i + 1)));
const decoder = imageDecoder();
await decoder.inspect(images[0]); // start the process first: its start-up is not a per-image cost
console.log(
  `load average before: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on ${os.cpus().length} cores`,
);
for (const format of ['ppm', 'png'] as const) {
  const direct: number[] = [];
  const viaProcess: number[] = [];
  for (const bytes of images) {
    direct.push(await time(() => prepareImage(bytes, REFERENCE_MAX_PIXELS, format)));
    viaProcess.push(await time(() => decoder.prepare(bytes, { maxPixels: REFERENCE_MAX_PIXELS, format })));
  }
  const diffs = direct.map((d, i) => viaProcess[i] - d);
  console.log(
    `prepare ${format}: in-process median ${median(direct).toFixed(2)} ms, decoder process ${median(viaProcess).toFixed(2)} ms, ` +
      `per-image overhead median ${median(diffs).toFixed(2)} ms`,
  );
}
// bench:engine's image case: a 448x448 PNG, already a valid size, handed to llama.node as PPM.
const small = await Promise.all(Array.from({ length: COUNT }, (_, i) => photo(i + 1, 448, 448, 'png')));
{
  const direct: number[] = [];
  const viaProcess: number[] = [];
  for (const bytes of small) {
    direct.push(await time(() => prepareImage(bytes, REFERENCE_MAX_PIXELS, 'ppm')));
    viaProcess.push(await time(() => decoder.prepare(bytes, { maxPixels: REFERENCE_MAX_PIXELS, format: 'ppm' })));
  }
  const diffs = direct.map((d, i) => viaProcess[i] - d);
  console.log(
    `prepare 448x448 PNG → ppm: in-process median ${median(direct).toFixed(2)} ms, decoder process ${median(viaProcess).toFixed(2)} ms, ` +
      `per-image overhead median ${median(diffs).toFixed(2)} ms`,
  );
}
const directInspect: number[] = [];
const processInspect: number[] = [];
for (const bytes of images) {
  directInspect.push(await time(() => sharp(bytes, { limitInputPixels: false, pages: 1 }).metadata()));
  processInspect.push(await time(() => decoder.inspect(bytes)));
}
console.log(
  `inspect (import header read): in-process median ${median(directInspect).toFixed(2)} ms, decoder process ${median(processInspect).toFixed(2)} ms`,
);
console.log(
  `load average after: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
await decoder.dispose();
