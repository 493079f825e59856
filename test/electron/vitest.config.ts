import { defineConfig } from 'vitest/config';

// `npm run test:electron`: launches the real packaged-layout app (out/) with Playwright's Electron driver.
export default defineConfig({
  test: {
    include: ['test/electron/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
