// npm run make:test-models -- DIR [--prompt FILE] [--seed N] [--no-mmproj]
// Writes a complete tiny GuardTrace model folder (random weights) so the CLI audit can run end to end without
// real weights. The verdicts are junk by design; the pipeline is real.
import path from 'node:path';
import { SHARED_PROMPT_FILE, writeTinyModelFolder } from './tiny-gguf';

function usage(message?: string): never {
  if (message) console.error(`error: ${message}`);
  console.error('usage: npm run make:test-models -- DIR [--prompt FILE] [--seed N] [--no-mmproj]');
  console.error(`  --prompt FILE  prompt copied into DIR as qta_pormpt.txt (default ${SHARED_PROMPT_FILE})`);
  process.exit(2);
}

const args = process.argv.slice(2);
let dir: string | null = null;
let promptFile: string | undefined;
let seed: number | undefined;
let withMmproj = true;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--prompt') promptFile = args[++i] ?? usage('--prompt needs a file');
  else if (a === '--seed') {
    seed = Number(args[++i]);
    if (!Number.isInteger(seed)) usage('--seed needs an integer');
  } else if (a === '--no-mmproj') withMmproj = false;
  else if (a === '-h' || a === '--help') usage();
  else if (a.startsWith('-')) usage(`unknown option ${a}`);
  else if (dir === null) dir = a;
  else usage(`unexpected argument ${a}`);
}
if (!dir) usage('DIR is required');

try {
  const f = await writeTinyModelFolder(path.resolve(dir), {
    promptFile: promptFile && path.resolve(promptFile),
    seed,
    withMmproj,
  });
  console.log(`wrote tiny model folder ${f.dir}`);
  console.log(`  model:  ${path.basename(f.modelPath)}`);
  if (withMmproj) console.log(`  mmproj: ${path.basename(f.mmprojPath)}`);
  console.log(`  prompt: ${path.basename(f.promptPath)}`);
} catch (err) {
  console.error(`error: ${(err as Error).message}`);
  process.exit(1);
}
