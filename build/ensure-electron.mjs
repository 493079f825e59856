#!/usr/bin/env node
// `prestart`: the project installs with Electron's install script disabled (allowScripts), so the Electron
// binary may be missing. Fetch it with Electron's own install.js, or say in one line why that failed and what to do.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

function electronDir() {
  try {
    return path.dirname(require.resolve('electron/package.json'));
  } catch {
    return null;
  }
}

function binaryPresent(dir) {
  const pathFile = path.join(dir, 'path.txt');
  if (!existsSync(pathFile)) return false;
  const executable = readFileSync(pathFile, 'utf8').trim();
  const distDir = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? path.join(dir, 'dist');
  return executable.length > 0 && existsSync(path.join(distDir, executable));
}

const dir = electronDir();
if (!dir) {
  console.error('GuardTrace: the electron package is not installed. Run `npm install` in the project folder first.');
  process.exit(1);
}
const version = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
if (!binaryPresent(dir)) downloadBinary();
ensureElectronSqlite();

function downloadBinary() {
  console.log(`GuardTrace: downloading the Electron ${version} binary (one time, about 100 MB)…`);
  // ELECTRON_SKIP_BINARY_DOWNLOAD would make install.js exit without doing anything.
  const env = { ...process.env };
  delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;
  const result = spawnSync(process.execPath, [path.join(dir, 'install.js')], {
    stdio: ['ignore', 'inherit', 'pipe'],
    env,
    encoding: 'utf8',
  });

  if (result.status === 0 && binaryPresent(dir)) {
    console.log('GuardTrace: Electron is ready.');
    return;
  }
  const detail =
    (result.stderr || result.error?.message || '')
      .split('\n')
      .find((line) => /error|ENOTFOUND|ECONN|EAI_AGAIN|ETIMEDOUT|403|404|checksum/i.test(line)) ?? 'no output';
  console.error(
    `GuardTrace: could not download the Electron ${version} binary (${detail.trim()}). It needs internet access to github.com ` +
      `(or set ELECTRON_MIRROR to a reachable mirror, or electron_config_cache to a folder holding electron-v${version}-${process.platform}-${process.arch}.zip), then run \`npm start\` again.`,
  );
  process.exit(1);
}

/**
 * node_modules' better-sqlite3 is built for Node (the CLI and the tests need that build), and Electron cannot load
 * it (other ABI). Build a second copy for this Electron version next to it and name it in a manifest that the app
 * reads in development (src-main/app/dev-native-binding.ts); electron-builder rebuilds the packaged app's own copy.
 */
function ensureElectronSqlite() {
  const projectRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
  const outDir = path.join(projectRoot, 'node_modules', '.guardtrace-electron');
  const manifestFile = path.join(outDir, 'manifest.json');
  const sqliteDir = path.dirname(require.resolve('better-sqlite3/package.json'));
  const sqliteVersion = JSON.parse(readFileSync(path.join(sqliteDir, 'package.json'), 'utf8')).version;
  const binding = `better-sqlite3-${sqliteVersion}-electron-${version}-${process.platform}-${process.arch}.node`;
  if (existsSync(manifestFile) && existsSync(path.join(outDir, binding))) {
    try {
      const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
      if (manifest.electron === version && manifest.betterSqlite3?.binding === binding) return;
    } catch {
      // rewritten below
    }
  }
  console.log(`GuardTrace: building better-sqlite3 ${sqliteVersion} for Electron ${version} (one time)…`);
  const work = mkdtempSync(path.join(os.tmpdir(), 'guardtrace-electron-sqlite-'));
  try {
    const pkg = path.join(work, 'better-sqlite3');
    cpSync(sqliteDir, pkg, { recursive: true, filter: (src) => !src.startsWith(path.join(sqliteDir, 'build')) });
    const node = (args) =>
      spawnSync(process.execPath, args, { cwd: pkg, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
    // A prebuilt Electron binary from better-sqlite3's releases when one exists, else a compile against Electron's headers.
    let built = node([
      require.resolve('prebuild-install/bin.js'),
      '--runtime',
      'electron',
      '--target',
      version,
      '--arch',
      process.arch,
      '--platform',
      process.platform,
    ]);
    if (built.status !== 0) {
      built = node([
        require.resolve('node-gyp/bin/node-gyp.js'),
        'rebuild',
        '--release',
        '--runtime=electron',
        `--target=${version}`,
        `--arch=${process.arch}`,
        '--dist-url=https://electronjs.org/headers',
      ]);
    }
    const addon = path.join(pkg, 'build', 'Release', 'better_sqlite3.node');
    if (built.status !== 0 || !existsSync(addon)) {
      const lines = (built.stderr || built.error?.message || 'no output').trim().split('\n');
      const detail =
        lines.find((line) => /ENOTFOUND|EAI_AGAIN|ECONN|ETIMEDOUT|\b40[34]\b|certificate|not found/i.test(line)) ??
        lines[lines.length - 1];
      console.error(
        `GuardTrace: could not build better-sqlite3 for Electron ${version} (${detail}). It needs internet access (prebuilt binary from github.com, ` +
          'or Electron headers from electronjs.org) and, for the compile, a C++ toolchain (Linux: build-essential python3). Then run `npm start` again.',
      );
      process.exit(1);
    }
    mkdirSync(outDir, { recursive: true });
    copyFileSync(addon, path.join(outDir, binding));
    const manifest = {
      electron: version,
      platform: process.platform,
      arch: process.arch,
      betterSqlite3: { version: sqliteVersion, binding },
    };
    writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
    console.log('GuardTrace: better-sqlite3 for Electron is ready.');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
