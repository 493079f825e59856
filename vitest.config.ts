import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Two projects: fast core/engine tests, and browser tests that drive the built renderer in Chromium.
// Native addons (better-sqlite3, llama runtimes) are not safe to share across worker threads: use forks.
const e2eSetup = 'test/e2e/global-setup.ts';

export default defineConfig({
  // The import aliases of tsconfig.json "paths" (kept in step with electron.vite.config.ts).
  resolve: {
    alias: {
      '@domain': fileURLToPath(new URL('./src-main/domain', import.meta.url)),
      '@main': fileURLToPath(new URL('./src-main', import.meta.url)),
    },
  },
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'core',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**', 'test/electron/**', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: existsSync(e2eSetup) ? [e2eSetup] : [],
          fileParallelism: false,
          // A decision typed in the window reaches the store a moment later; on a busy machine (CI, two cores, the
          // core tests running beside) that moment passed the default 1 s and failed the shift at random.
          expect: { poll: { timeout: 10_000 } },
        },
      },
      {
        // The real Electron app. Part of `npm test` so that, where the binary is missing, the skip and its
        // reason show in the same run as everything else instead of passing silently.
        extends: true,
        test: {
          name: 'electron',
          include: ['test/electron/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
