#!/usr/bin/env node
// Runs the TypeScript CLI straight from a clone: tsx compiles src-main on the fly, no build step needed.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// The tsconfig is named explicitly so its import aliases (@domain/*, @main/*) resolve from any working directory.
register({ tsconfig: fileURLToPath(new URL('../../tsconfig.json', import.meta.url)) });
const { main } = await import(new URL('./main.ts', import.meta.url).href);
process.exitCode = await main(process.argv.slice(2));
