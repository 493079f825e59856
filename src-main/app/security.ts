// One place for the window's security posture: CSP, no navigation, no new windows, no permissions.
import { readFile } from 'node:fs/promises';
import { protocol, session, type WebContents } from 'electron';
import { IMAGE_SCHEME } from '../ipc/image-url';
import { APP_ORIGIN, APP_SCHEME, resolveAppFile } from './app-protocol';

/**
 * Both custom schemes behave like https (a real origin for CSP 'self', fetch, ES modules); must run before 'ready'.
 * Neither is corsEnabled: that privilege would let any other origin read the responses (Electron does not check
 * Access-Control-Allow-Origin for custom schemes). The page's own `<script type="module" crossorigin>` is a
 * same-origin request on a standard scheme and needs no such privilege; images are shown with `<img>` (no-cors).
 */
export function registerPrivilegedSchemes(): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
    },
    { scheme: IMAGE_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** Serves the built renderer folder, and only it, at app://guardtrace/ (app-protocol.ts decides what may be read). */
export function registerAppProtocol(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('Read-only.', { status: 405 });
    const resolved = await resolveAppFile(rendererDir, request.url);
    if (!resolved.ok) return new Response(resolved.reason, { status: resolved.status });
    const body = request.method === 'HEAD' ? null : new Uint8Array(await readFile(resolved.file));
    return new Response(body, {
      headers: {
        'content-type': resolved.mime,
        'x-content-type-options': 'nosniff',
        // Set here as well as in onHeadersReceived: the policy must not depend on webRequest seeing custom schemes.
        'content-security-policy': CONTENT_SECURITY_POLICY,
        'cache-control': 'no-cache',
      },
    });
  });
}

/** No remote origins, no inline or eval'd script; images only from the app bundle and the image protocol. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  `img-src 'self' ${IMAGE_SCHEME}: data:`,
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** The dev server URL from `electron-vite dev`; never honoured in a packaged app, and an empty value means none. */
export function devServerUrl(isPackaged: boolean): string | null {
  const url = process.env.ELECTRON_RENDERER_URL;
  return !isPackaged && url && /^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?\/?$/.test(url) ? url : null;
}

export function applySessionSecurity(isPackaged: boolean): void {
  const devUrl = devServerUrl(isPackaged);
  const ses = session.defaultSession;
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
  // Remote content is never loaded: refuse every request that leaves the app bundle (app://guardtrace/, never
  // file://) and the image protocol.
  ses.webRequest.onBeforeRequest((details, callback) => {
    const url = details.url;
    const allowed =
      url.startsWith(`${APP_ORIGIN}/`) ||
      url.startsWith(`${IMAGE_SCHEME}:`) ||
      url.startsWith('devtools://') ||
      url.startsWith('data:') ||
      (devUrl !== null && (url.startsWith(devUrl) || url.startsWith(devUrl.replace(/^http/, 'ws'))));
    callback({ cancel: !allowed });
  });
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
}

export function lockDownWebContents(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  // No second window and no hand-off to the system browser: case text may contain hostile links.
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}
