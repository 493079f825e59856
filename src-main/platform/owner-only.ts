// Moderation data is for this user only: every folder the app creates is 0700 and every file 0600 (modes are
// ignored on Windows, where the per-user profile folder's ACL does the same job).
import { chmodSync, mkdirSync, statSync } from 'node:fs';

export const OWNER_ONLY_FILE = 0o600;
export const OWNER_ONLY_FOLDER = 0o700;

/**
 * Creates `dir` (and missing parents) 0700; an existing folder that others can read, write or enter is narrowed to
 * 0700 too. Returns what was fixed, as a sentence for the user, or null when nothing was. mkdir's `mode` alone does
 * not do this: it applies only to folders it creates, so a data folder made earlier (by hand, or by an older build
 * that left it 0755) would stay open.
 */
export function ensureOwnerOnlyFolder(dir: string): string | null {
  mkdirSync(dir, { recursive: true, mode: OWNER_ONLY_FOLDER });
  if (process.platform === 'win32') return null;
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return null;
  chmodSync(dir, OWNER_ONLY_FOLDER);
  return `${dir} was open to other users (mode ${mode.toString(8).padStart(4, '0')}); it is now 0700, readable by this user only.`;
}
