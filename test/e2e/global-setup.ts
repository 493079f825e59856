// Builds the renderer once for the whole e2e project (about a second), so every test drives the same bundle.
import { existsSync } from 'node:fs';
import { buildRenderer } from './build-renderer';

export default async function setup(): Promise<void> {
  if (!existsSync(process.env.GUARDTRACE_CHROMIUM ?? '/usr/bin/chromium')) {
    console.warn('[e2e] Chromium not found at /usr/bin/chromium: the browser tests will skip themselves.');
    return;
  }
  const started = Date.now();
  const outDir = await buildRenderer();
  console.log(`[e2e] renderer built into ${outDir} in ${Date.now() - started} ms`);
}
