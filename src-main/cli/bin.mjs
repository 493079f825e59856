#!/usr/bin/env node
// Runs the TypeScript CLI straight from a clone: tsx compiles src-main on the fly, no build step needed.
import { register } from 'tsx/esm/api';

register();
const { main } = await import(new URL('./main.ts', import.meta.url).href);
process.exitCode = await main(process.argv.slice(2));
