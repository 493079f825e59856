// Starts one of the import's worker scripts, from the TypeScript sources (vitest, the tsx-run CLI) or from the
// electron-vite bundle, where each worker is its own entry beside the script that starts it (electron.vite.config.ts).
import { fileURLToPath } from 'node:url';
import { Worker, type TransferListItem } from 'node:worker_threads';

/**
 * `callerUrl` is the starting module's import.meta.url: the worker script `name` lies beside it, as `name.ts` in the
 * sources and `name.js` in the bundle (where only entry modules keep their own file, so it must be an entry's URL).
 */
export function startImportWorker(
  callerUrl: string,
  name: string,
  workerData: unknown,
  transferList: readonly TransferListItem[] = [],
): Worker {
  if (callerUrl.endsWith('.ts')) {
    // Running from the TypeScript sources: the worker compiles its module graph with tsx, as bin.mjs does.
    // tsx is located from this file, not from the worker's eval code (that resolves from the current directory),
    // and the tsconfig is named explicitly so the @domain/@main aliases resolve from any working directory.
    const entry = new URL(`./${name}.ts`, callerUrl).href;
    const tsconfig = fileURLToPath(new URL('../../../tsconfig.json', import.meta.url));
    const tsxApi = typeof import.meta.resolve === 'function' ? import.meta.resolve('tsx/esm/api') : 'tsx/esm/api';
    const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register({ tsconfig: ${JSON.stringify(tsconfig)} }); return import(${JSON.stringify(entry)}); })`;
    return new Worker(bootstrap, { eval: true, workerData, transferList: [...transferList] });
  }
  return new Worker(new URL(`./${name}.js`, callerUrl), { workerData, transferList: [...transferList] });
}
