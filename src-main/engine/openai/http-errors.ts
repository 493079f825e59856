// Turns fetch failures and HTTP error responses from vLLM / llama-server into EngineErrors a moderator can act on,
// and says which of them are worth retrying (details.transient).
import { EngineError, type EngineErrorCode } from '../engine';

const TLS_ERROR_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);
/** The connection broke after it was made: the server died or restarted; another try may work. */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED']);
/** No server there (yet): the sidecar may be restarting, a remote host may be down. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export function isTransient(error: unknown): boolean {
  return error instanceof EngineError && error.details.transient === true;
}

function causeCode(error: unknown): string | null {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'ERR_INVALID_STATE') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

/** A fetch() rejection (network level, no HTTP status). */
export function networkError(error: unknown, host: string, phase: 'connect' | 'stream'): EngineError {
  if (error instanceof EngineError) return error;
  const code = causeCode(error);
  const detail =
    error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
  if (code && (TLS_ERROR_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL'))) {
    return new EngineError(
      'tls',
      `The TLS connection to ${host} failed (${code}: ${detail}). Check the server's certificate; for a private CA start the app with NODE_EXTRA_CA_CERTS=/path/to/ca.pem.`,
      { host, code },
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new EngineError(
      'unreachable',
      `The server name in ${host} does not resolve (${code}). Check the address in Settings → Engine.`,
      { host, code, transient: code === 'EAI_AGAIN' },
    );
  }
  if (phase === 'stream' || (code && RESET_CODES.has(code)) || /terminated|other side closed|socket/i.test(detail)) {
    return new EngineError(
      'server_error',
      `The connection to ${host} broke ${phase === 'stream' ? 'during generation' : 'before an answer'} (${code ?? detail}): the server stopped or restarted. The case can be retried.`,
      { host, code, transient: true },
    );
  }
  if (code && UNREACHABLE_CODES.has(code)) {
    return new EngineError(
      'unreachable',
      `Nothing answers at ${host} (${code}). Is the server running and is the address and port right?`,
      { host, code, transient: true },
    );
  }
  return new EngineError('unreachable', `Could not reach ${host}: ${detail}.`, { host, code, transient: false });
}

interface ServerErrorBody {
  message: string;
  type: string;
}

function readErrorBody(text: string): ServerErrorBody {
  try {
    const parsed = JSON.parse(text) as {
      error?: unknown;
      message?: unknown;
      detail?: unknown;
      type?: unknown;
      object?: unknown;
    };
    const inner = (typeof parsed.error === 'object' && parsed.error !== null ? parsed.error : parsed) as {
      message?: unknown;
      type?: unknown;
      detail?: unknown;
    };
    const message =
      typeof inner.message === 'string'
        ? inner.message
        : typeof inner.detail === 'string'
          ? inner.detail
          : typeof parsed.error === 'string'
            ? parsed.error
            : text;
    return { message, type: typeof inner.type === 'string' ? inner.type : '' };
  } catch {
    return { message: text.slice(0, 500), type: '' };
  }
}

const IMAGE_REFUSAL =
  /image input is not supported|mmproj|multimodal|not a multimodal model|does not support (image|vision)|image_url|images? (are|is) not supported|vision/i;
const CONTEXT_TOO_LONG =
  /exceed_context_size|context (size|length|window)|maximum context length|too long|max_model_len|max_tokens.*too large/i;

/** An HTTP response with a status >= 400. */
export function httpError(status: number, bodyText: string, host: string, model: string): EngineError {
  const body = readErrorBody(bodyText);
  const serverSays = body.message ? ` The server says: ${body.message.slice(0, 300)}` : '';
  const details = { host, status, serverMessage: body.message, serverType: body.type };
  let code: EngineErrorCode;
  let message: string;
  let transient = false;
  if (status === 401 || status === 403) {
    code = 'unauthorized';
    message = `${host} refused the API key (HTTP ${status}). Set the right key in Settings → Engine (or GUARDTRACE_API_KEY for the CLI).${serverSays}`;
  } else if (status === 404 && /model/i.test(body.message)) {
    code = 'model_not_found';
    message = `${host} does not serve a model named "${model}" (HTTP 404). Use the name the server lists under /v1/models (vLLM: --served-model-name).${serverSays}`;
  } else if (status === 404) {
    code = 'unreachable';
    message = `${host} has no OpenAI chat-completions route (HTTP 404). The base URL should end in /v1 (vLLM, llama-server).${serverSays}`;
  } else if (status === 429 || status === 502 || status === 503 || status === 504) {
    code = 'server_error';
    transient = true;
    message = `${host} is busy or still loading (HTTP ${status}); the case can be retried.${serverSays}`;
  } else if (CONTEXT_TOO_LONG.test(body.type) || CONTEXT_TOO_LONG.test(body.message)) {
    code = 'case_too_long';
    message = `The case is too long for the context window of the server at ${host} (HTTP ${status}). Shorten the case or start the server with a larger context (llama-server -c 8192, vLLM --max-model-len 8192).${serverSays}`;
  } else if (IMAGE_REFUSAL.test(body.message)) {
    code = 'no_vision';
    message = `${host} refuses image input (HTTP ${status}): it serves "${model}" without the vision part. Start llama-server with --mmproj, or serve the vision model with vLLM.${serverSays}`;
  } else if (status >= 500) {
    code = 'server_error';
    message = `${host} failed with HTTP ${status}.${serverSays}`;
  } else {
    code = 'generation_failed';
    message = `${host} rejected the request (HTTP ${status}).${serverSays}`;
  }
  return new EngineError(code, message, { ...details, transient });
}
