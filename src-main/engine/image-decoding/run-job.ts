// What the decoder process does with one job: the same functions the app used to call in its own process, so
// results are byte-identical (test/engine/image-decoder.test.ts compares them).
import sharp from 'sharp';
import { prepareImage } from '../image-prep';
import type { DecodeJob, ImageHeader, PreparedImage } from './protocol';

export async function runDecodeJob(job: DecodeJob): Promise<PreparedImage | ImageHeader> {
  if (job.kind === 'prepare') {
    const prepared = await prepareImage(job.bytes, job.maxPixels, job.format);
    return { ...prepared, mime: prepared.mime as PreparedImage['mime'], bytes: new Uint8Array(prepared.bytes) };
  }
  // limitInputPixels: false because the importer checks the limits itself and wants the real size in its message.
  const meta = await sharp(job.bytes, { limitInputPixels: false, pages: 1 }).metadata();
  return { format: meta.format ?? null, width: meta.width ?? null, height: meta.pageHeight ?? meta.height ?? null };
}
