import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ihdr(width: number, height: number, bitDepth: number): Buffer {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  data[8] = bitDepth;
  data[9] = 0; // grayscale
  return data;
}

/** A PNG whose header claims a size, with a token IDAT: decoding it would fail or blow up, reading its header must not. */
export function pngHeaderClaiming(width: number, height: number): Buffer {
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', ihdr(width, height, 8)),
    chunk('IDAT', deflateSync(Buffer.alloc(64))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A real, valid 1-bit all-black PNG: tiny on disk, width*height pixels when decoded (a decompression bomb). */
export function realPngBomb(width: number, height: number): Buffer {
  const row = Buffer.alloc(1 + Math.ceil(width / 8)); // filter byte 0 + packed pixels
  const raw = Buffer.alloc(row.length * height);
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', ihdr(width, height, 1)),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A small real image of the given format, coloured so different seeds give different bytes. */
export async function smallImage(
  format: 'png' | 'jpeg' | 'webp' | 'gif',
  seed = 0,
  size = { width: 24, height: 16 },
): Promise<Buffer> {
  const image = sharp({
    create: { ...size, channels: 3, background: { r: (seed * 37) % 256, g: (seed * 91) % 256, b: 120 } },
  });
  return image.toFormat(format).toBuffer();
}

export const SVG = Buffer.from(
  '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>\n',
);
