// fetch() over a Unix domain socket, for the local llama-server sidecar: it listens on a socket in the data folder's
// 0700 run folder (Linux, macOS), which no other local user can reach or bind, unlike a loopback port
// (docs/security.md, "The llama-server sidecar"). Node's global fetch cannot take a socket path without the undici
// package's Agent, so this is node:http with `socketPath`, answering with a standard Response so the engine's body
// caps, SSE reader and error mapping apply unchanged.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';

export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

/** A fetch that sends every request to `socketPath`; the URL's host is only the Host header. */
export function unixSocketFetch(socketPath: string): FetchLike {
  return (url, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url);
      const signal = init.signal ?? undefined;
      if (signal?.aborted) return reject(signal.reason as Error);
      const body = typeof init.body === 'string' ? init.body : undefined;
      const headers = { ...(init.headers as Record<string, string> | undefined) };
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      const req = httpRequest(
        // One connection per request (agent: false): llama-server's HTTP library closes idle kept-alive connections,
        // and a request written to one it has just closed fails with EPIPE/ECONNRESET. A local connect costs microseconds.
        {
          socketPath,
          agent: false,
          method: init.method ?? 'GET',
          path: `${target.pathname}${target.search}`,
          headers,
          signal,
        },
        (res) => {
          const status = res.statusCode ?? 502;
          // A Response with a body cannot have these statuses; none comes from llama-server, but never crash on one.
          const bodyless = status === 204 || status === 304 || (status >= 100 && status < 200);
          resolve(
            new Response(bodyless ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
              status,
              statusText: res.statusMessage,
              headers: toHeaders(res.headers),
            }),
          );
        },
      );
      // A failed connect looks like fetch's: a TypeError whose cause is the system error (http-errors.ts reads it).
      req.on('error', (error) =>
        reject(
          signal?.aborted ? (signal.reason as Error) : Object.assign(new TypeError('fetch failed'), { cause: error }),
        ),
      );
      req.end(body);
    });
}

/** The fetch that reaches an endpoint: over its Unix socket when it has one (the local sidecar), else the global one. */
export function fetchFor(endpoint: { socketPath?: string | null }): FetchLike {
  return endpoint.socketPath ? unixSocketFetch(endpoint.socketPath) : fetch;
}

function toHeaders(incoming: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}
