#!/usr/bin/env node
// `prestart`: the project installs with Electron's install script disabled (allowScripts), so the Electron
// binary may be missing. Fetch it with Electron's own install.js, or say in one line why that failed and what to do.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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
if (binaryPresent(dir)) process.exit(0);

const version = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
console.log(`GuardTrace: downloading the Electron ${version} binary (one time, about 100 MB)…`);
// ELECTRON_SKIP_BINARY_DOWNLOAD would make install.js exit without doing anything.
const env = { ...process.env };
delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;
const result = spawnSync(process.execPath, [path.join(dir, 'install.js')], { stdio: ['ignore', 'inherit', 'pipe'], env, encoding: 'utf8' });

if (result.status === 0 && binaryPresent(dir)) {
  console.log('GuardTrace: Electron is ready.');
  process.exit(0);
}
const detail = (result.stderr || result.error?.message || '').split('\n').find((line) => /error|ENOTFOUND|ECONN|EAI_AGAIN|ETIMEDOUT|403|404|checksum/i.test(line)) ?? 'no output';
console.error(
  `GuardTrace: could not download the Electron ${version} binary (${detail.trim()}). It needs internet access to github.com ` +
    `(or set ELECTRON_MIRROR to a reachable mirror, or electron_config_cache to a folder holding electron-v${version}-${process.platform}-${process.arch}.zip), then run \`npm start\` again.`,
);
process.exit(1);
