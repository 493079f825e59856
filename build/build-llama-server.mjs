#!/usr/bin/env node
// Builds llama.cpp's `llama-server` (and `llama-quantize`, which `guardtrace model convert --type q4_k_m|q5_k_m|q6_k`
// runs) OFFLINE from the llama.cpp source that ships inside the
// node-llama-cpp npm package (node_modules/node-llama-cpp/llama/gitRelease.bundle), into a cache
// outside the repository keyed by the bundle's commit:
//
//   <cache>/guardtrace/llama-server/<commit>/<backend>/llama-server   (+ llama-quantize, build-info.json)
//
// <cache> is $GUARDTRACE_CACHE_DIR (used as-is, without the extra "guardtrace" level), else
// $XDG_CACHE_HOME/guardtrace, else ~/.cache/guardtrace.
//
// Backend: GUARDTRACE_LLAMA_BACKEND=auto|cpu|cuda|vulkan (default auto). "auto" builds CUDA only when
// both nvcc AND an NVIDIA driver are present (a CUDA toolkit without a GPU would mean an hours-long
// build for nothing), Vulkan when the Vulkan headers and glslc are present, else CPU with native flags.
//
// Idempotent: when the cached binaries exist and `llama-server --version` runs, nothing is rebuilt; a cache from
// before llama-quantize was built gets only that target (minutes less than a full build: libllama is reused).
// Plain Node ESM, no dependencies. Needs git, cmake and a C++17 compiler (ninja is used if present).
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  copyFileSync,
  chmodSync,
} from 'node:fs';
import { availableParallelism, homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const exeSuffix = process.platform === 'win32' ? '.exe' : '';
/**
 * Bumped whenever the build flags change, so a binary built the old way is rebuilt instead of reused.
 * 2: no AMX. With GGML_NATIVE on a CPU that has AMX (Sapphire Rapids and later, and this project's CI machines),
 * ggml repacks Q8_0/Q4_0 weights for its AMX matmul, which crashed (SIGSEGV in ggml_backend_amx_mul_mat at the warm-up
 * run) on every Q8_0 model, the 3B-shaped bench model and a 100 KB tiny one alike. F32/F16 models never take that
 * path, which is why the tests' F32 tiny model did not show it. The AVX-512 paths and the CPU repack stay.
 */
const BUILD_RECIPE = 2;
/** gcc/clang honour an explicit -mno-* over what -march=native implies, whatever their order on the command line. */
const NO_AMX_FLAGS = '-mno-amx-tile -mno-amx-int8 -mno-amx-bf16';

function fail(message) {
  console.error(`build-llama-server: ${message}`);
  process.exit(1);
}

function which(command) {
  const probe = process.platform === 'win32' ? 'where' : 'which';
  const result = spawnSync(probe, [command], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.split(/\r?\n/)[0].trim() : null;
}

export function guardtraceCacheDir(env = process.env) {
  if (env.GUARDTRACE_CACHE_DIR) return resolve(env.GUARDTRACE_CACHE_DIR);
  const base = env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), '.cache');
  return join(base, 'guardtrace');
}

function bundleCommit(bundlePath) {
  const heads = execFileSync('git', ['bundle', 'list-heads', bundlePath], { encoding: 'utf8' });
  const head = heads.split('\n').find((line) => /^[0-9a-f]{40} /.test(line));
  if (!head) fail(`${bundlePath} lists no commit (git bundle list-heads printed: ${JSON.stringify(heads)})`);
  return head.slice(0, 40);
}

function chooseBackend() {
  const requested = (process.env.GUARDTRACE_LLAMA_BACKEND ?? 'auto').toLowerCase();
  if (!['auto', 'cpu', 'cuda', 'vulkan'].includes(requested)) {
    fail(`GUARDTRACE_LLAMA_BACKEND=${requested} is not one of auto, cpu, cuda, vulkan`);
  }
  if (requested !== 'auto') return { backend: requested, why: 'GUARDTRACE_LLAMA_BACKEND' };
  const nvcc = which('nvcc');
  const nvidiaDriver = existsSync('/proc/driver/nvidia/version') || which('nvidia-smi') !== null;
  if (nvcc && nvidiaDriver) return { backend: 'cuda', why: `nvcc at ${nvcc} and an NVIDIA driver` };
  const vulkanHeaders =
    ['/usr/include/vulkan/vulkan.h', '/usr/local/include/vulkan/vulkan.h'].some(existsSync) ||
    (process.env.VULKAN_SDK && existsSync(join(process.env.VULKAN_SDK, 'include', 'vulkan', 'vulkan.h')));
  const glslc = which('glslc');
  if (vulkanHeaders && glslc) return { backend: 'vulkan', why: `Vulkan headers and glslc at ${glslc}` };
  const skipped =
    nvcc && !nvidiaDriver
      ? ` (nvcc found at ${nvcc} but no NVIDIA driver: set GUARDTRACE_LLAMA_BACKEND=cuda to build CUDA anyway)`
      : '';
  return { backend: 'cpu', why: `no GPU toolkit with a device${skipped}` };
}

/** The recipe a cached binary was built with (build-info.json); 1 for builds from before it was recorded. */
function builtRecipe(outDir) {
  try {
    return JSON.parse(readFileSync(join(outDir, 'build-info.json'), 'utf8')).recipe ?? 1;
  } catch {
    return 1;
  }
}

function runsVersion(binary) {
  if (!existsSync(binary)) return null;
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) return null;
  return `${result.stdout}${result.stderr}`.trim().split('\n').filter(Boolean).join(' | ');
}

function run(command, args, options = {}) {
  console.log(`$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) fail(`could not start ${command}: ${result.error.message}`);
  if (result.status !== 0) fail(`${command} ${args[0]} … exited with status ${result.status}; see the output above`);
}

/** Copies the built llama-quantize into the cache (via a .partial name, so a half-copied binary is never found). */
function installQuantize(buildDir, destination) {
  const built = [
    join(buildDir, 'bin', `llama-quantize${exeSuffix}`),
    join(buildDir, 'bin', 'Release', `llama-quantize${exeSuffix}`),
  ].find(existsSync);
  if (!built) fail(`the build finished but no llama-quantize binary is in ${join(buildDir, 'bin')}`);
  mkdirSync(dirname(destination), { recursive: true });
  const staging = `${destination}.partial`;
  copyFileSync(built, staging);
  chmodSync(staging, 0o755);
  renameSync(staging, destination);
}

function main() {
  const bundlePath = resolve(
    process.env.GUARDTRACE_LLAMA_BUNDLE ??
      join(repoRoot, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle'),
  );
  if (!existsSync(bundlePath)) {
    fail(
      `the llama.cpp source bundle is missing at ${bundlePath}. Run \`npm ci\` first (it comes with node-llama-cpp), or set GUARDTRACE_LLAMA_BUNDLE.`,
    );
  }
  for (const tool of ['git', 'cmake']) {
    if (!which(tool))
      fail(
        `${tool} is not on PATH; install it (Debian: apt-get install ${tool === 'git' ? 'git' : 'cmake'} build-essential)`,
      );
  }

  const commit = bundleCommit(bundlePath);
  const { backend, why } = chooseBackend();
  const commitDir = join(guardtraceCacheDir(), 'llama-server', commit);
  const outDir = join(commitDir, backend);
  const binary = join(outDir, `llama-server${exeSuffix}`);

  const quantizeBinary = join(outDir, `llama-quantize${exeSuffix}`);
  const existingVersion = runsVersion(binary);
  const serverCurrent = existingVersion && builtRecipe(outDir) === BUILD_RECIPE;
  if (serverCurrent && existsSync(quantizeBinary)) {
    console.log(`llama-server (${backend}) is already built for llama.cpp ${commit.slice(0, 12)}: ${existingVersion}`);
    console.log(binary);
    console.log(quantizeBinary);
    return;
  }

  console.log(`Building llama-server for llama.cpp ${commit} with backend ${backend} (${why}) into ${outDir}`);
  mkdirSync(commitDir, { recursive: true });

  const sourceDir = join(commitDir, 'src');
  if (!existsSync(join(sourceDir, 'tools', 'server', 'CMakeLists.txt'))) {
    // Clone next to the final place and rename, so an interrupted clone never looks complete.
    const partial = `${sourceDir}.partial`;
    rmSync(partial, { recursive: true, force: true });
    rmSync(sourceDir, { recursive: true, force: true });
    run('git', ['-c', 'advice.detachedHead=false', 'clone', '--quiet', bundlePath, partial]);
    run('git', ['-c', 'advice.detachedHead=false', 'checkout', '--quiet', commit], { cwd: partial });
    renameSync(partial, sourceDir);
  }

  const buildDir = join(commitDir, `build-${backend}`);
  const jobs = Number(process.env.GUARDTRACE_BUILD_JOBS) || availableParallelism();
  const cmakeFlags = [
    '-DCMAKE_BUILD_TYPE=Release',
    // Nothing may be downloaded: no prebuilt web UI, no HTTPS client.
    '-DLLAMA_USE_PREBUILT_UI=OFF',
    '-DLLAMA_BUILD_UI=OFF',
    '-DLLAMA_OPENSSL=OFF',
    '-DLLAMA_BUILD_TESTS=OFF',
    '-DLLAMA_BUILD_EXAMPLES=OFF',
    '-DLLAMA_BUILD_TOOLS=ON',
    '-DLLAMA_BUILD_SERVER=ON',
    // One self-contained executable the app can copy or point at.
    '-DBUILD_SHARED_LIBS=OFF',
    '-DGGML_NATIVE=ON',
    ...(process.arch === 'x64' && process.platform !== 'win32'
      ? [`-DCMAKE_C_FLAGS=${NO_AMX_FLAGS}`, `-DCMAKE_CXX_FLAGS=${NO_AMX_FLAGS}`]
      : []),
    ...(backend === 'cuda' ? ['-DGGML_CUDA=ON'] : []),
    ...(backend === 'vulkan' ? ['-DGGML_VULKAN=ON'] : []),
  ];
  const generator = which('ninja') ? ['-G', 'Ninja'] : [];
  const startedAt = Date.now();
  run('cmake', ['-S', sourceDir, '-B', buildDir, ...generator, ...cmakeFlags]);
  const targets = serverCurrent ? ['llama-quantize'] : ['llama-server', 'llama-quantize'];
  run('cmake', ['--build', buildDir, '--config', 'Release', '--target', ...targets, '-j', String(jobs)]);
  const buildSeconds = Math.round((Date.now() - startedAt) / 1000);
  installQuantize(buildDir, quantizeBinary);
  if (serverCurrent) {
    console.log(`Built llama-quantize (${backend}) in ${buildSeconds} s next to the existing llama-server`);
    console.log(quantizeBinary);
    return;
  }

  const built = [
    join(buildDir, 'bin', `llama-server${exeSuffix}`),
    join(buildDir, 'bin', 'Release', `llama-server${exeSuffix}`),
  ].find(existsSync);
  if (!built) fail(`the build finished but no llama-server binary is in ${join(buildDir, 'bin')}`);

  mkdirSync(outDir, { recursive: true });
  const staging = `${binary}.partial`;
  copyFileSync(built, staging);
  chmodSync(staging, 0o755);
  renameSync(staging, binary);
  const version = runsVersion(binary);
  if (!version) fail(`${binary} was built but \`--version\` does not run; delete ${commitDir} and build again`);
  writeFileSync(
    join(outDir, 'build-info.json'),
    `${JSON.stringify(
      {
        commit,
        recipe: BUILD_RECIPE,
        backend,
        backendReason: why,
        version,
        buildSeconds,
        jobs,
        cmakeFlags,
        builtAt: new Date().toISOString(),
      },
      null,
      2,
    )}\n`,
  );
  console.log(`Built llama-server (${backend}) in ${buildSeconds} s with -j${jobs}: ${version}`);
  console.log(binary);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
