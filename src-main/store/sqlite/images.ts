import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../digests';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { ImageRef } from '@domain/cases';
import { nowIso } from './clock';
import { StoreError } from '../errors';
import { readStoredImage } from './image-file';
import type { Db } from './open-database';

// Image bytes live on disk, named by sha256, not as BLOBs: the database stays small, so queue queries,
// WAL checkpoints and backups stay fast; the image protocol and `export --with-images` read plain files;
// identical images across cases are stored once. The row is inserted only after the file is durable,
// so a crash can leave an unreferenced file (harmless, same name next time) but never a row without bytes.

interface ImageRow {
  sha256: string;
  mime: string;
  width: number;
  height: number;
  bytes: number;
}

export class ImageStore {
  readonly dir: string;
  private readonly insert;
  private readonly get;

  constructor(db: Db, dataDir: string) {
    this.dir = path.join(dataDir, 'images');
    this.insert = db.prepare(
      'INSERT OR IGNORE INTO images (sha256, mime, width, height, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.get = db.prepare<[string], ImageRow>('SELECT sha256, mime, width, height, bytes FROM images WHERE sha256 = ?');
  }

  pathFor(sha256: string): string {
    return path.join(this.dir, sha256.slice(0, 2), sha256);
  }

  /** Writes the bytes durably (temp file, fsync, rename). Call outside the DB transaction, then `record`. */
  writeFile(bytes: Uint8Array): string {
    const sha = sha256Hex(bytes);
    const target = this.pathFor(sha);
    if (existsSync(target)) return sha;
    mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    const fd = openSync(temp, 'w', 0o600);
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
    return sha;
  }

  record(image: ImageRef): void {
    this.insert.run(image.sha256, image.mime, image.width, image.height, image.bytes, nowIso());
  }

  info(sha256: string): ImageRef | null {
    return this.get.get(sha256) ?? null;
  }

  /** Bytes for a known image, or null if the hash is unknown or the file is gone, a link, or altered (UI display). */
  async read(sha256: string): Promise<{ bytes: Buffer; mime: string } | null> {
    try {
      return await this.readChecked(sha256);
    } catch {
      return null;
    }
  }

  /**
   * Bytes of an image a case refers to, for auditing or export: throws StoreError('image_unavailable') when the
   * file is gone, is not a regular file, or does not hold the recorded bytes, so the case is never audited as if
   * it had no image. `verify: 'always'` re-hashes (export); otherwise only a size change triggers the hash.
   */
  async readChecked(
    sha256: string,
    verify: 'always' | 'if-suspicious' = 'if-suspicious',
  ): Promise<{ bytes: Buffer; mime: string }> {
    const row = /^[0-9a-f]{64}$/.test(sha256) ? this.get.get(sha256) : undefined;
    if (!row)
      throw new StoreError('image_unavailable', `Image unavailable: no image with sha256 ${sha256} in the store.`);
    return { bytes: await readStoredImage(this.pathFor(sha256), row, verify), mime: row.mime };
  }
}
