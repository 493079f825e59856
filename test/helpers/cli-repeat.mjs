// Child-process helper for test/helpers/cli-process.ts: runs each argv of argv[2] (a JSON array of arrays)
// through the real CLI main(), in order, and prints {"code": N} per command on stdout.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// The tsconfig is named, as in src-main/cli/bin.mjs, so the @domain/@main aliases resolve from any working directory.
register({ tsconfig: fileURLToPath(new URL('../../tsconfig.json', import.meta.url)) });
const { main } = await import(new URL('../../src-main/cli/main.ts', import.meta.url).href);
const commands = JSON.parse(process.argv[2]);
const quiet = { stdout: () => undefined, stderr: (text) => process.stderr.write(text), interactive: false };
for (const argv of commands) {
  const code = await main(argv, quiet);
  process.stdout.write(`${JSON.stringify({ code })}\n`);
}
