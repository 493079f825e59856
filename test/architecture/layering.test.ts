// The layers of docs/architecture.md are checked here on every import of every source file, and the checker
// itself is shown to catch each kind of wrong import on a small in-memory tree.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLayering, type SourceFile } from './layering';

const repoRoot = path.resolve(import.meta.dirname, '../..');

function sourceFiles(folder: string): SourceFile[] {
  return readdirSync(path.join(repoRoot, folder), { recursive: true, encoding: 'utf8' })
    .filter((entry) => /\.(ts|tsx|mjs)$/.test(entry))
    .map((entry) => {
      const file = path.posix.join(folder, entry.split(path.sep).join('/'));
      return { path: file, text: readFileSync(path.join(repoRoot, file), 'utf8') };
    });
}

describe('layering', () => {
  it('every import in src-main and src-renderer follows the layers', () => {
    const files = [...sourceFiles('src-main'), ...sourceFiles('src-renderer/src')];
    // The walk found the tree (a wrong root would pass vacuously).
    expect(files.length).toBeGreaterThan(60);
    expect(files.some((file) => file.path === 'src-main/api/contract.ts')).toBe(true);
    expect(files.some((file) => file.path === 'src-renderer/src/App.tsx')).toBe(true);
    const violations = checkLayering(files).map((v) => `${v.file}:${v.line} imports '${v.specifier}': ${v.reason}`);
    expect(violations).toEqual([]);
  });
});

describe('the layering check itself', () => {
  const file = (filePath: string, text: string): SourceFile => ({ path: filePath, text });

  it('accepts imports that follow the layers', () => {
    const files = [
      file('src-main/domain/cases.ts', "import type { RiskLevel } from './types';"),
      file('src-main/store/cases.ts', "import type { CaseDetail } from '@domain/cases';\nimport { x } from './rows';"),
      file('src-main/engine/engine.ts', "import type { EngineInfo } from '../domain/engine';"),
      file(
        'src-main/io/export/index.ts',
        "import type { Store } from '../../store/contract';\nimport { a } from '../../engine/x';",
      ),
      file(
        'src-main/jobs/run.ts',
        "import { openStore } from '../store/open-store';\nimport type { Engine } from '../engine/engine';",
      ),
      file(
        'src-main/api/handlers.ts',
        "import { runJobs } from '../jobs/run';\nimport { exportCases } from '../io/export';",
      ),
      file('src-main/app/main.ts', "import { app } from 'electron';\nimport { createCore } from '../api/core';"),
      file(
        'src-main/preload/index.ts',
        "import { ipcRenderer } from 'electron';\nimport { API_CHANNELS } from '../api/contract';\nimport { SHELL_CHANNELS } from '../ipc/ipc-envelope';",
      ),
      file('src-main/cli/main.ts', "const m = await import('../api/handlers');"),
      file(
        'src-renderer/src/App.tsx',
        "import type { GuardTraceApi } from '@main/api/contract';\nimport { CATEGORIES } from '@domain/types';\nimport { x } from './lib/x';",
      ),
    ];
    expect(checkLayering(files)).toEqual([]);
  });

  it('keeps callers on the store contract and each engine to its own files', () => {
    const accepted = [
      file('src-main/store/open-store.ts', "import { openSqliteStore } from './sqlite/sqlite-store';"),
      file(
        'src-main/store/sqlite/cases.ts',
        "import type { NewCase } from '../contract';\nimport { x } from './rows';",
      ),
      file('src-main/store/postgres/pool.ts', "import { StoreError } from '../errors';"),
      file('src-main/api/core.ts', "import { openStore } from '../store/open-store';"),
      file('src-main/io/export/index.ts', "import type { Store } from '@main/store/contract';"),
    ];
    expect(checkLayering(accepted)).toEqual([]);
    const refused = [
      file('src-main/io/import/worker.ts', "import { CaseStore } from '../../store/sqlite';"),
      file('src-main/api/core.ts', "import { backupDatabase } from '@main/store/sqlite/backup';"),
      file('src-main/jobs/run.ts', "import type { Db } from '../store/sqlite/open-database';"),
      file('src-main/cli/main.ts', "import { Pool } from '../store/postgres/pool';"),
      file('src-main/io/packs/create-packs.ts', "import { caseDigest } from '../../store/digests';"),
      file('src-main/store/sqlite/cases.ts', "import { listen } from '../postgres/notify';"),
      file('src-main/store/postgres/cases.ts', "import { whereClause } from '../sqlite/queue-query';"),
    ];
    const found = checkLayering(refused).map((v) => `${v.file}:${v.line} ${v.specifier}`);
    expect(found).toEqual([
      'src-main/io/import/worker.ts:1 ../../store/sqlite',
      'src-main/api/core.ts:1 @main/store/sqlite/backup',
      'src-main/jobs/run.ts:1 ../store/sqlite/open-database',
      'src-main/cli/main.ts:1 ../store/postgres/pool',
      'src-main/io/packs/create-packs.ts:1 ../../store/digests',
      'src-main/store/sqlite/cases.ts:1 ../postgres/notify',
      'src-main/store/postgres/cases.ts:1 ../sqlite/queue-query',
    ]);
    const reasons = checkLayering(refused).map((v) => v.reason);
    expect(reasons[0]).toContain('only through store/contract or store/open-store');
    expect(reasons[5]).toContain("the postgres engine's files are its own");
    expect(reasons[6]).toContain("the sqlite engine's files are its own");
  });

  it('reports each kind of wrong import, with its file and line', () => {
    const files = [
      // a lower layer reaching up
      file(
        'src-main/store/cases.ts',
        "import type { CaseDetail } from '@domain/cases';\nimport type { ApiContract } from '../api/contract';",
      ),
      file('src-main/domain/cases.ts', "import { CaseStore } from '@main/store';"),
      file('src-main/engine/x.ts', "export { CaseStore } from '../store/index';"),
      file('src-main/jobs/run.ts', "import { CoreEvents } from '../api/events';"),
      // electron outside app/ and preload/
      file('src-main/engine/y.ts', "import { app } from 'electron';"),
      file('src-main/api/core.ts', "const { safeStorage } = require('electron');"),
      // the preload reaching into app/, and past the contract into the core
      file(
        'src-main/preload/index.ts',
        "import { imageUrlFor } from '../app/image-url';\nimport { createCore } from '../api/core';",
      ),
      // the renderer: a value import of the contract, a store import, a dynamic import of the core
      file('src-renderer/src/api.ts', "import { API_CHANNELS } from '../../src-main/api/contract';"),
      file(
        'src-renderer/src/screens/X.tsx',
        "import { CaseStore } from '@main/store';\nconst core = import('@main/api/core');",
      ),
      // a file in no known layer
      file('src-main/misc/thing.ts', 'export const a = 1;'),
    ];
    const found = checkLayering(files).map((v) => `${v.file}:${v.line} ${v.specifier}`);
    expect(found).toEqual([
      'src-main/store/cases.ts:2 ../api/contract',
      'src-main/domain/cases.ts:1 @main/store',
      'src-main/engine/x.ts:1 ../store/index',
      'src-main/jobs/run.ts:1 ../api/events',
      'src-main/engine/y.ts:1 electron',
      'src-main/api/core.ts:1 electron',
      'src-main/preload/index.ts:1 ../app/image-url',
      'src-main/preload/index.ts:2 ../api/core',
      'src-renderer/src/api.ts:1 ../../src-main/api/contract',
      'src-renderer/src/screens/X.tsx:1 @main/store',
      'src-renderer/src/screens/X.tsx:2 @main/api/core',
      'src-main/misc/thing.ts:1 ',
    ]);
    const reasons = checkLayering(files).map((v) => v.reason);
    expect(reasons[0]).toContain('store may not import api');
    expect(reasons[4]).toContain('electron');
    expect(reasons[8]).toContain('import type');
  });
});
