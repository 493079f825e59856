// Starts one of the import's worker scripts, from the TypeScript sources (vitest, the tsx-run CLI) or from the
// electron-vite bundle, where each worker is its own entry beside the script that starts it (electron.vite.config.ts).
import { Worker, type TransferListItem } from 'node:worker_threads';
import { tsxBootstrapSource } from '../../platform/tsx-bootstrap';
import { PARSER_THREAD_LIMITS } from '../safe-read/limits';

/**
 * Every one of these threads parses or holds untrusted input, so each runs with a bounded heap
 * (PARSER_THREAD_LIMITS): a file that would need more kills that thread (the caller sees it exit), never the process.
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
    const bootstrap = tsxBootstrapSource(new URL(`./${name}.ts`, callerUrl).href);
    return new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), {
      workerData,
      transferList: [...transferList],
      resourceLimits: PARSER_THREAD_LIMITS,
    });
  }
  return new Worker(new URL(`./${name}.js`, callerUrl), {
    workerData,
    transferList: [...transferList],
    resourceLimits: PARSER_THREAD_LIMITS,
  });
}
