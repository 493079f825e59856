// The app:// scheme the window is served from (src-main/app/app-protocol.ts): which URLs reach which files, and
// which frames count as our window. Plain functions; the Electron glue around them is in security.ts.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APP_INDEX_URL,
  APP_ORIGIN,
  isOurPageUrl,
  mimeTypeFor,
  resolveAppFile,
  type AppFileResolution,
} from '@main/app/app-protocol';

let tmp: string;
let root: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'gt-app-protocol-'));
  root = path.join(tmp, 'renderer');
  mkdirSync(path.join(root, 'assets'), { recursive: true });
  writeFileSync(path.join(root, 'index.html'), '<!doctype html>');
  writeFileSync(path.join(root, 'assets', 'index-abc.js'), 'export {}');
  writeFileSync(path.join(root, 'assets', 'index-abc.css'), 'body{}');
  writeFileSync(path.join(root, 'assets', 'a b.woff2'), 'font');
  writeFileSync(path.join(tmp, 'secret.txt'), 'outside the bundle');
  mkdirSync(path.join(tmp, 'renderer-evil'));
  writeFileSync(path.join(tmp, 'renderer-evil', 'x.js'), 'sibling folder with the same prefix');
  symlinkSync(path.join(tmp, 'secret.txt'), path.join(root, 'assets', 'escape.txt'));
  symlinkSync(tmp, path.join(root, 'up'));
  symlinkSync(path.join(root, 'index.html'), path.join(root, 'assets', 'inside-link.html'));
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const resolve = (url: string) => resolveAppFile(root, url);
const served = (r: AppFileResolution) => (r.ok ? path.relative(root, r.file) : null);

describe('app:// → a file of the renderer bundle', () => {
  it('serves the bundle with its MIME types; / is index.html; query and fragment are ignored', async () => {
    expect(APP_INDEX_URL).toBe(`${APP_ORIGIN}/index.html`);
    const index = await resolve(APP_INDEX_URL);
    expect(index).toEqual({ ok: true, file: path.join(root, 'index.html'), mime: 'text/html; charset=utf-8' });
    expect(served(await resolve('app://guardtrace/'))).toBe('index.html');
    expect(served(await resolve('app://guardtrace'))).toBe('index.html');
    const js = await resolve('app://guardtrace/assets/index-abc.js');
    expect(js.ok && js.mime).toBe('text/javascript; charset=utf-8');
    const css = await resolve('app://guardtrace/assets/index-abc.css?v=1#x');
    expect(css.ok && css.mime).toBe('text/css; charset=utf-8');
    expect(served(await resolve('app://guardtrace/assets/a%20b.woff2'))).toBe(path.join('assets', 'a b.woff2'));
    // A query naming a traversal is not a path: the file named by the path is served, nothing else.
    expect(served(await resolve('app://guardtrace/index.html?file=../../secret.txt'))).toBe('index.html');
    // A link that stays inside the bundle is fine.
    expect(served(await resolve('app://guardtrace/assets/inside-link.html'))).toBe('index.html');
  });

  it('maps extensions to MIME types, unknown ones to opaque bytes', () => {
    expect(mimeTypeFor('x.WOFF2')).toBe('font/woff2');
    expect(mimeTypeFor('x.svg')).toBe('image/svg+xml');
    expect(mimeTypeFor('x.exe')).toBe('application/octet-stream');
    expect(mimeTypeFor('Makefile')).toBe('application/octet-stream');
  });

  it.each([
    ['encoded ..', 'app://guardtrace/%2e%2e/secret.txt'],
    ['encoded slash', 'app://guardtrace/assets%2f..%2f..%2fsecret.txt'],
    ['encoded slash, upper case', 'app://guardtrace/..%2F..%2Fsecret.txt'],
    ['encoded backslash', 'app://guardtrace/..%5csecret.txt'],
    ['raw backslash', 'app://guardtrace/..\\secret.txt'],
    ['double-encoded ..', 'app://guardtrace/%252e%252e/secret.txt'],
    ['NUL byte', 'app://guardtrace/index.html%00.js'],
    ['malformed escape', 'app://guardtrace/%E0%A4%A'],
    ['drive letter', 'app://guardtrace/C:/Windows/win.ini'],
    ['encoded absolute path', 'app://guardtrace/%2Fetc%2Fpasswd'],
    ['empty segment', 'app://guardtrace//etc/passwd'],
    ['trailing slash (a folder)', 'app://guardtrace/assets/'],
  ])('refuses %s', async (_name, url) => {
    const result = await resolve(url);
    expect(result.ok).toBe(false);
    if (!result.ok) expect([400, 403, 404]).toContain(result.status);
  });

  it('refuses a plain .. even where the URL parser already folded it', async () => {
    // new URL folds /assets/../../secret.txt to /secret.txt: it then names a file that is not in the bundle.
    const folded = await resolve('app://guardtrace/assets/../../secret.txt');
    expect(folded).toMatchObject({ ok: false, status: 404 });
  });

  it('refuses links that leave the bundle, and a sibling folder sharing its name as a prefix', async () => {
    expect(await resolve('app://guardtrace/assets/escape.txt')).toMatchObject({ ok: false, status: 403 });
    expect(await resolve('app://guardtrace/up/secret.txt')).toMatchObject({ ok: false, status: 403 });
    expect(await resolve('app://guardtrace/up/renderer-evil/x.js')).toMatchObject({ ok: false, status: 403 });
    expect(await resolve('app://guardtrace/assets')).toMatchObject({ ok: false, status: 404 });
    expect(await resolve('app://guardtrace/missing.js')).toMatchObject({ ok: false, status: 404 });
  });

  it('refuses other hosts, credentials, ports and other schemes', async () => {
    for (const url of [
      'app://other/index.html',
      'app://GUARDTRACE/index.html',
      'app://user:pw@guardtrace/index.html',
      'app://guardtrace:8080/index.html',
      'app:///index.html',
      `file://${path.join(root, 'index.html')}`,
      'gt-image://guardtrace/index.html',
      'not a url',
    ]) {
      const result = await resolve(url);
      expect(result.ok, url).toBe(false);
    }
  });

  it('reports a missing bundle folder instead of serving anything', async () => {
    expect(await resolveAppFile(path.join(tmp, 'no-build'), APP_INDEX_URL)).toMatchObject({ ok: false, status: 500 });
  });
});

describe('isOurPageUrl (the IPC sender check)', () => {
  it('accepts exactly app://guardtrace/index.html, with any query or fragment', () => {
    expect(isOurPageUrl(APP_INDEX_URL, null)).toBe(true);
    expect(isOurPageUrl(`${APP_INDEX_URL}#/queue`, null)).toBe(true);
    expect(isOurPageUrl(`${APP_INDEX_URL}?x=1`, null)).toBe(true);
  });

  it('refuses file:// pages, other app:// paths and hosts, and the dev server when not in development', () => {
    for (const url of [
      undefined,
      '',
      'not a url',
      `file://${path.join(root, 'index.html')}`,
      'file:///index.html',
      'app://guardtrace/',
      'app://guardtrace/assets/index-abc.js',
      'app://guardtrace/other.html',
      'app://evil/index.html',
      'app://guardtrace.evil/index.html',
      'https://guardtrace/index.html',
      'http://localhost:5173/',
      'about:blank',
      'data:text/html,<p>x</p>',
    ]) {
      expect(isOurPageUrl(url, null), String(url)).toBe(false);
    }
  });

  it('in development accepts the dev server origin only', () => {
    const dev = 'http://localhost:5173/';
    expect(isOurPageUrl('http://localhost:5173/index.html', dev)).toBe(true);
    expect(isOurPageUrl('http://localhost:5174/', dev)).toBe(false);
    expect(isOurPageUrl(APP_INDEX_URL, dev)).toBe(false);
  });
});
