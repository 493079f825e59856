// Builds only the renderer (out/renderer) from the renderer section of electron.vite.config.ts, so the browser
// tests do not depend on the main-process bundle (native modules, Electron) being buildable.
import { build } from 'vite';
import config from '../../electron.vite.config';

export async function buildRenderer(): Promise<string> {
  const resolved = typeof config === 'function' ? await config({ command: 'build', mode: 'production' }) : await config;
  const renderer = resolved.renderer;
  if (!renderer?.build?.outDir || !renderer.root) throw new Error('electron.vite.config.ts has no renderer root/outDir.');
  await build({ ...renderer, configFile: false, logLevel: 'warn', build: { ...renderer.build, emptyOutDir: true } } as Parameters<typeof build>[0]);
  return renderer.build.outDir;
}
