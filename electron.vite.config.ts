import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';

/** `electron-vite dev` only: React's refresh preamble is an inline script and HMR uses a websocket. */
function relaxCspForDevServer(): Plugin {
  return {
    name: 'guardtrace-dev-csp',
    apply: 'serve',
    transformIndexHtml: (html) =>
      html
        .replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
        .replace("connect-src 'self'", "connect-src 'self' ws:"),
  };
}

// Native addons must stay outside the bundle: they are loaded from node_modules (asar-unpacked when packaged).
const root = dirname(fileURLToPath(import.meta.url));

// The import aliases of tsconfig.json "paths" (kept in step with vitest.config.ts and the CLI's tsx).
const alias = {
  '@domain': resolve(root, 'src-main/domain'),
  '@main': resolve(root, 'src-main'),
};

const NATIVE_DEPS = ['better-sqlite3', 'sharp', 'node-llama-cpp', '@fugood/llama.node'];

export default defineConfig({
  main: {
    resolve: { alias },
    build: {
      outDir: 'out/main',
      externalizeDeps: { include: NATIVE_DEPS },
      rollupOptions: {
        // The import runs on a worker thread: its script is a second entry beside index.js (io/import/off-thread.ts),
        // and the record reader thread it starts a third (io/import/record-reader-worker.ts). Untrusted images are
        // decoded in a utilityProcess running a fourth (engine/image-decoding).
        input: {
          index: resolve(root, 'src-main/app/main.ts'),
          'import-worker': resolve(root, 'src-main/io/import/import-worker.ts'),
          'record-reader-worker': resolve(root, 'src-main/io/import/record-reader-worker.ts'),
          // Packs and decisions files are parsed on a bounded thread (io/packs/team-file-reader.ts).
          'team-file-worker': resolve(root, 'src-main/io/packs/team-file-worker.ts'),
          'image-decoder': resolve(root, 'src-main/engine/image-decoding/decoder-process.ts'),
        },
        external: NATIVE_DEPS.flatMap((name) => [name, new RegExp(`^${name.replace(/[./]/g, '\\$&')}/`)]),
      },
    },
  },
  preload: {
    resolve: { alias },
    build: {
      outDir: 'out/preload',
      // A sandboxed preload can only `require` a few Electron modules: it must be a single self-contained CJS file.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(root, 'src-main/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src-renderer'),
    // Relative asset URLs: the packaged app loads index.html from app://guardtrace/, the tests from http://127.0.0.1.
    base: './',
    resolve: { alias },
    plugins: [react(), tailwindcss(), relaxCspForDevServer()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      // electron-vite leaves the renderer unminified by default; minified it parses faster (first render).
      minify: true,
      rollupOptions: { input: { index: resolve(root, 'src-renderer/index.html') } },
    },
  },
});
