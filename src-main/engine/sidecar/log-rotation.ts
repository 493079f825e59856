import { renameSync, rmSync, statSync } from 'node:fs';

/** llama-server logs every request; at this size the log is moved aside when the next server starts. */
export const MAX_LOG_BYTES = 10 * 1024 * 1024;
/** Old logs kept: <log>.1 (newest) … <log>.N. */
export const KEPT_LOGS = 3;

/** Moves `file` to `file.1` (and older ones up) once it is larger than maxBytes, dropping the oldest. */
export function rotateLog(file: string, maxBytes = MAX_LOG_BYTES, keep = KEPT_LOGS): boolean {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return false; // no log yet
  }
  if (size <= maxBytes) return false;
  rmSync(`${file}.${keep}`, { force: true });
  for (let i = keep - 1; i >= 1; i--) {
    try {
      renameSync(`${file}.${i}`, `${file}.${i + 1}`);
    } catch {
      // that generation does not exist yet
    }
  }
  renameSync(file, `${file}.1`);
  return true;
}
