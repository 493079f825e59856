import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

/** A fresh temp folder, removed after the test file finishes. */
export function tempDir(prefix = 'guardtrace-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const SHARED_DIR = path.resolve(REPO_ROOT, '../shared');
