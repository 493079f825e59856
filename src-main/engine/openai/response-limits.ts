// The server at the other end of an OpenAI-compatible connection is not ours: it may be misconfigured, compromised
// or simply broken. Nothing it sends may make us follow it elsewhere, fill the heap, or hold a case forever.
import { EngineError } from '../engine';

export interface ResponseLimits {
  /** Generated text kept per case; a real answer is ~10 KB (max_tokens 2000), so more means max_tokens was ignored. */
  maxOutputBytes: number;
  /** One SSE line; a chunk carries a few tokens, so a line this long is not a chat-completions stream. */
  maxSseLineBytes: number;
  /** Everything read from one stream, content or not (an endless run of empty chunks fills nothing but the time). */
  maxStreamBytes: number;
  /** An error body is only quoted in a message: read this much, drop the rest. */
  maxErrorBodyBytes: number;
  /** A JSON answer (model list, probe, props) larger than this is refused. */
  maxJsonBodyBytes: number;
  /** Wall time for one case, retries included (first-token and idle timeouts still apply within it). */
  caseDeadlineMs: number;
}

export const DEFAULT_RESPONSE_LIMITS: ResponseLimits = {
  maxOutputBytes: 1024 * 1024,
  maxSseLineBytes: 1024 * 1024,
  maxStreamBytes: 32 * 1024 * 1024,
  maxErrorBodyBytes: 64 * 1024,
  maxJsonBodyBytes: 4 * 1024 * 1024,
  caseDeadlineMs: 30 * 60_000,
};

/** Over a limit: the server is broken or hostile; retrying the same request would only repeat it. */
export function limitError(host: string, what: string): EngineError {
  return new EngineError(
    'server_error',
    `${host} ${what}; the request was stopped. The server is misconfigured or not an OpenAI-compatible chat server — check it and its max_tokens handling.`,
    { host, limit: true },
  );
}

/**
 * A 3xx answer. fetch() is called with redirect: 'manual', so it arrives here instead of being followed: following
 * it would send the case to an address the endpoint policy never checked (plain http to another host, say).
 */
export function refuseRedirect(response: Response, host: string): void {
  if (response.status < 300 || response.status >= 400) return;
  void response.body?.cancel().catch(() => undefined);
  const location = response.headers.get('location');
  throw new EngineError(
    'unreachable',
    `${host} answered with a redirect (HTTP ${response.status}${location ? ` to ${location.slice(0, 200)}` : ''}). ` +
      'GuardTrace does not follow redirects, so cases only ever go to the address you set. Set the base URL in Settings → Engine to the server’s final address.',
    { host, status: response.status, location },
  );
}

/** Reads a body as text up to maxBytes: 'truncate' keeps the start (error messages), 'refuse' throws. */
export async function readBodyCapped(
  response: Response,
  maxBytes: number,
  overflow: 'truncate' | 'refuse',
  host: string,
): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        if (overflow === 'refuse') throw limitError(host, `sent a response larger than ${maxBytes} bytes`);
        chunks.push(value.subarray(0, value.byteLength - (size - maxBytes)));
        break;
      }
      chunks.push(value);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function readJsonCapped(response: Response, maxBytes: number, host: string): Promise<unknown> {
  const text = await readBodyCapped(response, maxBytes, 'refuse', host);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new EngineError('server_error', `${host} answered with something that is not JSON: ${text.slice(0, 200)}`, {
      host,
    });
  }
}
