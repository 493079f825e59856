// Where llama-quantize comes from: `npm run build:llama-server` builds it next to llama-server, from the same
// bundled llama.cpp source, into <cache>/llama-server/<commit>/<backend>/llama-quantize; else the PATH.
import { constants } from 'node:fs';
import { access, readdir } from 'node:fs/promises';
import path from 'node:path';
import { llamaServerCacheDir } from '../sidecar/llama-server-binary';
import { LLAMA_CPP_COMMIT } from './plan';

const EXE = process.platform === 'win32' ? 'llama-quantize.exe' : 'llama-quantize';

async function executable(file: string): Promise<boolean> {
  return access(file, process.platform === 'win32' ? constants.F_OK : constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** The cached build of the converter's own llama.cpp commit first, then any cached build, then PATH. */
export async function findLlamaQuantize(env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const root = llamaServerCacheDir(env);
  const commits = await readdir(root).catch(() => [] as string[]);
  commits.sort((a, b) => Number(b === LLAMA_CPP_COMMIT) - Number(a === LLAMA_CPP_COMMIT));
  for (const commit of commits) {
    for (const backend of ['cpu', 'cuda', 'vulkan']) {
      const file = path.join(root, commit, backend, EXE);
      if (await executable(file)) return file;
    }
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, EXE);
    if (await executable(file)) return file;
  }
  return null;
}
