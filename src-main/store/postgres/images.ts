// Images on the team database (the contract's ImageStore): bytes content-addressed by sha256 in image_data, decoded
// facts in images. A client keeps what it fetched in its local cache folder (0600 files, written whole and renamed
// into place) and checks the hash of every file it reads from there, so a damaged or altered cache is fetched again
// rather than shown or audited.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ImageRef } from '@domain/cases';
import type pg from 'pg';
import type { ImageStore } from '../contract';
import { sha256Hex } from '../digests';
import { StoreError } from '../errors';

/** The import's cap (io/import/image-intake.ts), held here too and by the table's CHECK. */
export const MAX_TEAM_IMAGE_BYTES = 64 * 1024 * 1024;
const SHA256 = /^[0-9a-f]{64}$/;

export class PostgresImageStore implements ImageStore {
  constructor(
    private readonly pool: pg.Pool,
    /** The local folder fetched images are cached in (the workstation's data folder). */
    private readonly cacheDir: string,
  ) {}

  async put(bytes: Uint8Array): Promise<string> {
    if (bytes.byteLength === 0 || bytes.byteLength > MAX_TEAM_IMAGE_BYTES)
      throw new StoreError(
        'invalid',
        `An image must be between 1 byte and 64 MiB (this one is ${bytes.byteLength} bytes); nothing was stored.`,
      );
    const sha256 = sha256Hex(bytes);
    await this.pool.query('INSERT INTO image_data (sha256, data) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING', [
      sha256,
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    ]);
    this.cache(sha256, Buffer.from(bytes));
    return sha256;
  }

  async info(sha256: string): Promise<ImageRef | null> {
    if (!SHA256.test(sha256)) return null;
    const result = await this.pool.query<ImageRef>(
      'SELECT sha256, mime, width, height, bytes FROM images WHERE sha256 = $1',
      [sha256],
    );
    return result.rows[0] ?? null;
  }

  async read(sha256: string): Promise<{ bytes: Buffer; mime: string } | null> {
    try {
      return await this.readChecked(sha256);
    } catch (error) {
      if (error instanceof StoreError && error.code === 'image_unavailable') return null;
      throw error;
    }
  }

  /** Always hash-checked: from the cache, or from the database (then cached). */
  async readChecked(sha256: string): Promise<{ bytes: Buffer; mime: string }> {
    const info = await this.info(sha256);
    if (!info) throw new StoreError('image_unavailable', `Image ${sha256.slice(0, 12)}… is not in the team database.`);
    const cached = this.fromCache(sha256);
    if (cached) return { bytes: cached, mime: info.mime };
    const result = await this.pool.query<{ data: Buffer }>('SELECT data FROM image_data WHERE sha256 = $1', [sha256]);
    const bytes = result.rows[0]?.data;
    if (!bytes || sha256Hex(bytes) !== sha256)
      throw new StoreError(
        'image_unavailable',
        `Image ${sha256.slice(0, 12)}… in the team database does not match its hash; ask your database admin to ` +
          'restore it from a backup.',
      );
    this.cache(sha256, bytes);
    return { bytes, mime: info.mime };
  }

  localPath(sha256: string): string {
    return path.join(this.cacheDir, 'team-images', sha256.slice(0, 2), sha256);
  }

  private fromCache(sha256: string): Buffer | null {
    try {
      const bytes = readFileSync(this.localPath(sha256));
      return sha256Hex(bytes) === sha256 ? bytes : null;
    } catch {
      return null;
    }
  }

  private cache(sha256: string, bytes: Buffer): void {
    const file = this.localPath(sha256);
    try {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      const partial = `${file}.${process.pid}.partial`;
      writeFileSync(partial, bytes, { mode: 0o600 });
      renameSync(partial, file);
    } catch {
      // A cache that cannot be written costs a fetch next time, nothing more.
    }
  }
}
