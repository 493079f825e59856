// Threads and child processes started from the TypeScript sources (vitest, the tsx-run CLI) must compile their own
// module graph: this is the code they run first. tsx is located from here, not from the new thread's or process's
// working directory, and the tsconfig is named explicitly so the @domain/@main aliases resolve from anywhere.
import { fileURLToPath } from 'node:url';

/** ES module source that registers tsx, then imports `entryHref` (a file: URL of a .ts module). */
export function tsxBootstrapSource(entryHref: string): string {
  const tsconfig = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));
  const tsxApi = typeof import.meta.resolve === 'function' ? import.meta.resolve('tsx/esm/api') : 'tsx/esm/api';
  return (
    `const tsx = await import(${JSON.stringify(tsxApi)}); tsx.register({ tsconfig: ${JSON.stringify(tsconfig)} }); ` +
    `await import(${JSON.stringify(entryHref)});`
  );
}
