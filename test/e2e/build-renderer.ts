// Builds only the renderer (out/renderer) from the renderer section of electron.vite.config.ts, so the browser
// tests do not depend on the main-process bundle (native modules, Electron) being buildable.
import type { UserConfig } from 'electron-vite';
import { build } from 'vite';
import config from '../../electron.vite.config';

export async function buildRenderer(): Promise<string> {
  const resolved = (await config) as UserConfig;
  const renderer = resolved.renderer;
  if (!renderer?.build?.outDir || !renderer.root)
    throw new Error('electron.vite.config.ts has no renderer root/outDir.');
  await build({
    ...renderer,
    configFile: false,
    logLevel: 'warn',
    build: { ...renderer.build, emptyOutDir: true },
  } as Parameters<typeof build>[0]);
  return renderer.build.outDir;
}
