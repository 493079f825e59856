// Where case data is sent, and whether that is allowed: moderators' cases must not cross a network in clear text.
import { isIP } from 'node:net';
import { EngineError } from '../engine';

export interface CheckedEndpoint {
  /** Base URL ending in "/v1" without a trailing slash, e.g. "https://gpu-01.corp:8000/v1". */
  baseUrl: string;
  host: string;
  loopback: boolean;
  secure: boolean;
}

/** True for names and addresses that never leave this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(host);
  return false;
}

/**
 * Validates the user's base URL. Accepts "http://host:port", "http://host:port/v1" or ".../v1/" and normalises to ".../v1"
 * (both vLLM and llama-server serve the OpenAI routes under /v1).
 */
export function checkEndpoint(baseUrl: string, allowInsecureRemote = false): CheckedEndpoint {
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    throw new EngineError(
      'unreachable',
      `The server address "${baseUrl}" is not a URL. Enter it as http://127.0.0.1:8080/v1 or https://host:port/v1 in Settings → Engine.`,
      { baseUrl },
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new EngineError(
      'unreachable',
      `The server address "${baseUrl}" uses ${url.protocol}; only http:// (this machine) and https:// are supported.`,
      { baseUrl },
    );
  }
  if (url.username || url.password) {
    throw new EngineError(
      'unauthorized',
      `The server address "${url.host}" carries a user name or password; remove it and set the API key in Settings → Engine instead (it is stored encrypted).`,
      { host: url.host },
    );
  }
  const loopback = isLoopbackHost(url.hostname);
  const secure = url.protocol === 'https:';
  if (!secure && !loopback && !allowInsecureRemote) {
    throw new EngineError(
      'tls',
      `Refusing to send cases to ${url.host} over plain http://: case text and images would cross the network unencrypted. ` +
        `Use https://, or tick "Allow unencrypted connection to a remote server" (allowInsecureRemote) if the network is trusted.`,
      { host: url.host, baseUrl },
    );
  }
  let path = url.pathname.replace(/\/+$/, '');
  if (!path.endsWith('/v1')) path = `${path}/v1`;
  return { baseUrl: `${url.protocol}//${url.host}${path}`, host: url.host, loopback, secure };
}
