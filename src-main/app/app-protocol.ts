// The `app://` scheme the window's page is served from, instead of file://. No `electron` import: the URL → file
// resolution, the MIME types and the sender check are plain functions, tested without the Electron binary
// (test/app/app-protocol.test.ts); security.ts wires them to protocol.handle.
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'guardtrace';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** The one page the window loads in a built app; IPC is accepted only from a frame at exactly this URL. */
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/** What the renderer bundle contains (vite's output) and nothing more; anything else is served as opaque bytes. */
const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
};

export function mimeTypeFor(file: string): string {
  return MIME_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export type AppFileResolution =
  { ok: true; file: string; mime: string } | { ok: false; status: number; reason: string };

const refuse = (status: number, reason: string): AppFileResolution => ({ ok: false, status, reason });

/**
 * The file under `rootDir` an `app://guardtrace/<path>` URL names, or why it is refused. Only that host; no user,
 * password or port; every path segment decoded once and refused if it is `.`/`..`, holds a slash, a backslash, a
 * NUL or a drive letter; the file must be a regular file whose real path (links resolved) is still inside the real
 * `rootDir`. The query and fragment are ignored (vite adds none). `/` is `index.html`.
 */
export async function resolveAppFile(rootDir: string, requestUrl: string): Promise<AppFileResolution> {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return refuse(400, 'not a URL');
  }
  if (url.protocol !== `${APP_SCHEME}:`) return refuse(400, `only ${APP_SCHEME}: URLs are served here`);
  if (url.host !== APP_HOST || url.username || url.password || url.port) {
    return refuse(404, `unknown host ${JSON.stringify(url.host)}; the app is served from ${APP_ORIGIN}`);
  }
  const pathname = url.pathname === '' || url.pathname === '/' ? '/index.html' : url.pathname;
  if (!pathname.startsWith('/')) return refuse(400, 'the path must start with /');
  const rawSegments = pathname.slice(1).split('/');
  const segments: string[] = [];
  for (const raw of rawSegments) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return refuse(400, 'malformed %-escape in the path');
    }
    if (
      segment === '' ||
      segment === '.' ||
      segment === '..' ||
      /[/\\\0]/.test(segment) ||
      /^[A-Za-z]:/.test(segment)
    ) {
      return refuse(400, `path segment ${JSON.stringify(segment)} is refused (traversal, separator or NUL)`);
    }
    segments.push(segment);
  }
  let realRoot: string;
  try {
    realRoot = await realpath(rootDir);
  } catch {
    return refuse(500, `the renderer folder ${rootDir} is missing; build the app first`);
  }
  const candidate = path.join(realRoot, ...segments);
  let realFile: string;
  try {
    realFile = await realpath(candidate);
  } catch {
    return refuse(404, `no file ${segments.join('/')} in the app bundle`);
  }
  const relative = path.relative(realRoot, realFile);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
    return refuse(403, `${segments.join('/')} resolves outside the app bundle; refused`);
  }
  try {
    if (!(await stat(realFile)).isFile()) return refuse(404, `${segments.join('/')} is not a file`);
  } catch {
    return refuse(404, `no file ${segments.join('/')} in the app bundle`);
  }
  return { ok: true, file: realFile, mime: mimeTypeFor(realFile) };
}

/**
 * True when an IPC message comes from the page we load: exactly `app://guardtrace/index.html` (query and fragment
 * ignored), or, in development, a page of the dev server's origin. Any other app:// path, any file:// URL, any
 * other scheme or host is refused.
 */
export function isOurPageUrl(frameUrl: string | undefined, devServerUrl: string | null): boolean {
  if (!frameUrl) return false;
  let url: URL;
  try {
    url = new URL(frameUrl);
  } catch {
    return false;
  }
  if (devServerUrl) return url.origin === new URL(devServerUrl).origin;
  url.hash = '';
  url.search = '';
  return url.href === APP_INDEX_URL;
}
