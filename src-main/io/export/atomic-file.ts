import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { IoError } from '../io-error';

const FLUSH_BYTES = 1 << 20;

/**
 * Writes an export into a temp file in the destination folder and renames it into place on commit, so the
 * destination is either the previous file or the complete new one, never half-written (same folder: same
 * filesystem, rename is atomic). Text is buffered and written in ~1 MiB blocks.
 */
export class AtomicFile {
  private readonly fd: number;
  private readonly temp: string;
  private pending: string[] = [];
  private pendingBytes = 0;
  private done = false;

  constructor(readonly target: string) {
    const folder = path.dirname(target);
    if (!existsSync(folder) || !statSync(folder).isDirectory()) {
      throw new IoError('usage', `Cannot write ${target}: the folder ${folder} does not exist.`);
    }
    if (existsSync(target) && statSync(target).isDirectory())
      throw new IoError('usage', `${target} is a folder; give a file name to export to.`);
    this.temp = path.join(folder, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      this.fd = openSync(this.temp, 'wx', 0o600); // an export holds case data: this user only
    } catch (error) {
      throw new IoError(
        'io',
        `Cannot create a file in ${folder} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check that the folder is writable.`,
      );
    }
  }

  write(text: string): void {
    this.pending.push(text);
    this.pendingBytes += text.length;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
  }

  private flush(): void {
    if (!this.pending.length) return;
    writeSync(this.fd, this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
  }

  commit(): void {
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.temp, this.target);
    this.done = true;
  }

  /** Drops the temp file; the destination is untouched. Safe to call after commit. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    rmSync(this.temp, { force: true });
  }
}
