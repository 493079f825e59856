// The OpenAI-compatible engine's HTTP behaviour that needs no model: address policy, SSE framing, error mapping,
// retries and backoff. The servers here are real node:http servers on 127.0.0.1 that answer with fixed status codes
// and bodies copied from vLLM / llama-server; the model path itself is covered in llama-server.test.ts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { testVerdictContext } from '../helpers/verdict-context';
import { EngineError } from '@main/engine/engine';
import { checkEndpoint, isLoopbackHost } from '@main/engine/openai/endpoint-policy';
import { httpError, isTransient } from '@main/engine/openai/http-errors';
import { mergeAdjacentTextParts, OpenAiCompatibleEngine } from '@main/engine/openai/openai-engine';
import { readSseData } from '@main/engine/openai/sse';
import { freeLoopbackPort } from '@main/engine/sidecar/llama-server-sidecar';

const prompt = { text: 'You are an auditor.', sha256: 'test', hashOk: true };
const textCase = { caseId: 'c1', query: 'q', thinking: 't', response: 'r', image: null, imageMissing: false };

async function engineError(promise: Promise<unknown>): Promise<EngineError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(EngineError);
    return error as EngineError;
  }
  throw new Error('expected an EngineError, but the call succeeded');
}

const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => handler(req, res, body));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** A vLLM-like server: lists one model, reports usage, adds 64 prompt tokens per image, streams fixed pieces. */
function vllmLike(opts: { model?: string; pieces?: string[]; failFirst?: number[]; key?: string } = {}) {
  const calls: Array<{ path: string; body: Record<string, unknown> }> = [];
  let failures = [...(opts.failFirst ?? [])];
  const handler = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const parsed = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    calls.push({ path: req.url ?? '', body: parsed });
    if (opts.key && req.headers.authorization !== `Bearer ${opts.key}`)
      return json(res, 401, { error: { message: 'Invalid API Key', type: 'authentication_error', code: 401 } });
    if (req.url === '/v1/models')
      return json(res, 200, {
        data: [{ id: opts.model ?? 'guardtrace-vl-3b', owned_by: 'vllm', max_model_len: 8192 }],
      });
    if (parsed.model !== (opts.model ?? 'guardtrace-vl-3b'))
      return json(res, 404, {
        error: { message: `The model \`${String(parsed.model)}\` does not exist.`, type: 'NotFoundError', code: 404 },
      });
    const images = JSON.stringify(parsed.messages).split('image_url').length - 1;
    const usage = { prompt_tokens: 20 + 64 * images, completion_tokens: 3 };
    if (!parsed.stream) return json(res, 200, { choices: [{ message: { content: 'Red' } }], usage });
    const status = failures.shift();
    if (status) return json(res, status, { error: { message: 'busy', code: status } });
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const piece of opts.pieces ?? ['“Analysis”: ok', '\n“Judgment”: ', '0']) {
      // split one event across two writes to exercise the SSE reassembly
      const event = `data: ${JSON.stringify({ choices: [{ delta: { content: piece } }] })}\r\n\r\n`;
      res.write(event.slice(0, 7));
      res.write(event.slice(7));
    }
    res.write(`data: ${JSON.stringify({ choices: [], usage })}\n\n`);
    res.end('data: [DONE]\n\n');
  };
  return { calls, handler, resetFailures: (f: number[]) => (failures = f) };
}

describe('endpoint policy', () => {
  it('treats 127.0.0.0/8, ::1 and localhost as loopback, nothing else', () => {
    for (const host of ['127.0.0.1', '127.8.9.1', 'localhost', '[::1]', '::1'])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['10.0.0.1', '192.168.1.5', 'gpu-01.corp', '::2', '128.0.0.1', 'localhost.evil.com'])
      expect(isLoopbackHost(host), host).toBe(false);
  });

  it('refuses plain http to a remote host unless allowInsecureRemote is set', () => {
    const refused = (() => {
      try {
        checkEndpoint('http://10.1.2.3:8000/v1');
      } catch (error) {
        return error as EngineError;
      }
      return null;
    })();
    expect(refused?.code).toBe('tls');
    expect(refused?.message).toMatch(/10\.1\.2\.3:8000.*unencrypted/);
    expect(checkEndpoint('http://10.1.2.3:8000', true)).toMatchObject({
      baseUrl: 'http://10.1.2.3:8000/v1',
      loopback: false,
      secure: false,
    });
    expect(checkEndpoint('https://gpu-01.corp:8443/v1/')).toMatchObject({
      baseUrl: 'https://gpu-01.corp:8443/v1',
      host: 'gpu-01.corp:8443',
      secure: true,
    });
    expect(checkEndpoint('http://127.0.0.1:8080')).toMatchObject({
      baseUrl: 'http://127.0.0.1:8080/v1',
      loopback: true,
    });
  });

  it('rejects credentials in the URL and non-http schemes with a message that says what to do', () => {
    expect(() => checkEndpoint('https://user:pw@host/v1')).toThrow(/API key in Settings/);
    expect(() => checkEndpoint('ftp://host/v1')).toThrow(/only http/);
    expect(() => checkEndpoint('not a url')).toThrow(/is not a URL/);
  });
});

describe('SSE reader', () => {
  it('reassembles events split across chunks, with CRLF and a final event without a blank line', async () => {
    const text = 'data: {"a":1}\r\n\r\n: comment\n\ndata: {"b":\ndata: 2}\n\ndata: [DONE]';
    const bytes = new TextEncoder().encode(text);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 5) controller.enqueue(bytes.slice(i, i + 5));
        controller.close();
      },
    });
    const events: string[] = [];
    for await (const data of readSseData(stream)) events.push(data);
    expect(events).toEqual(['{"a":1}', '{"b":\n2}', '[DONE]']);
  });
});

describe('HTTP error mapping', () => {
  it.each([
    [401, '{"error":{"message":"Invalid API Key","type":"authentication_error"}}', 'unauthorized', false],
    [403, '{"detail":"forbidden"}', 'unauthorized', false],
    [404, '{"error":{"message":"The model `x` does not exist.","type":"NotFoundError"}}', 'model_not_found', false],
    [
      400,
      '{"error":{"message":"the request exceeds the available context size","type":"exceed_context_size_error"}}',
      'case_too_long',
      false,
    ],
    [400, '{"error":{"message":"This model\'s maximum context length is 8192 tokens."}}', 'case_too_long', false],
    [
      500,
      '{"error":{"message":"image input is not supported - hint: if this is unexpected, you may need to provide the mmproj"}}',
      'no_vision',
      false,
    ],
    [429, '{}', 'server_error', true],
    [503, '{"error":{"message":"Loading model"}}', 'server_error', true],
    [502, 'Bad gateway', 'server_error', true],
    [504, '', 'server_error', true],
    [400, '{"error":{"message":"bad field"}}', 'generation_failed', false],
  ])('HTTP %i with body %s is mapped to %s (transient: %s)', (status, body, code, transient) => {
    const error = httpError(status, body, 'host:1', 'x');
    expect(error.code).toBe(code);
    expect(isTransient(error)).toBe(transient);
    expect(error.message).toContain('host:1');
  });
});

describe('request shape', () => {
  it('joins adjacent text parts so llama-server does not insert a newline the reference input lacks', () => {
    const merged = mergeAdjacentTextParts([
      { role: 'system', content: 'S' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Image missing or unavailable' },
          { type: 'text', text: 'Current Task Query: q' },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: 'data:x' } },
          { type: 'text', text: 'T' },
        ],
      },
    ]);
    expect(merged[1]!.content).toEqual([{ type: 'text', text: 'Image missing or unavailableCurrent Task Query: q' }]);
    expect(merged[2]!.content).toHaveLength(2);
  });
});

describe('OpenAI-compatible engine over HTTP', () => {
  it('streams pieces, sends temperature 0 / max_tokens / stream, and reports usage', async () => {
    const server = vllmLike();
    const baseUrl = await serve(server.handler);
    const engine = await OpenAiCompatibleEngine.connect({
      baseUrl,
      model: 'guardtrace-vl-3b',
      verdict: testVerdictContext(prompt),
    });
    expect(engine.info()).toMatchObject({
      hasVision: true,
      contextLength: 8192,
      dataLeavesMachine: false,
      modelId: expect.stringContaining('guardtrace-vl-3b'),
    });
    const pieces: string[] = [];
    const result = await engine.audit(textCase, { onToken: (t) => pieces.push(t), maxNewTokens: 77 });
    expect(pieces.length).toBe(3);
    expect(pieces.join('')).toBe(result.rawOutput);
    expect(result.verdict).toMatchObject({ status: 'ok', risk: 0 });
    expect(result.promptTokens).toBe(20);
    const sent = server.calls.at(-1)!.body;
    expect(sent).toMatchObject({ model: 'guardtrace-vl-3b', temperature: 0, max_tokens: 77, stream: true });
    expect(sent.cache_prompt).toBeUndefined(); // llama.cpp-only fields are not sent to other servers
    expect((sent.messages as Array<{ role: string }>).map((m) => m.role)).toEqual(['system', 'user']);
    await engine.dispose();
  });

  it('retries 429/503 with backoff, and never retries other 4xx', async () => {
    const server = vllmLike({ failFirst: [429, 503] });
    const baseUrl = await serve(server.handler);
    const engine = await OpenAiCompatibleEngine.connect({
      baseUrl,
      model: 'guardtrace-vl-3b',
      verdict: testVerdictContext(prompt),
      retryBaseDelayMs: 10,
    });
    const before = server.calls.length;
    await engine.audit(textCase);
    expect(server.calls.length - before).toBe(3);

    server.resetFailures([400]);
    const beforeBad = server.calls.length;
    const error = await engineError(engine.audit(textCase));
    expect(error.code).toBe('generation_failed');
    expect(server.calls.length - beforeBad).toBe(1);

    server.resetFailures([503, 503, 503, 503, 503]);
    const exhausted = await engineError(engine.audit(textCase));
    expect(exhausted.code).toBe('server_error');
    expect(exhausted.details).toMatchObject({ transient: true, attempts: 4 });
  });

  it('names the served models when the model name is wrong, and maps a wrong key to unauthorized', async () => {
    const baseUrl = await serve(vllmLike({ model: 'served-name', key: 'right' }).handler);
    const wrongModel = await engineError(
      OpenAiCompatibleEngine.connect({
        baseUrl,
        model: 'guardtrace-vl-3b',
        verdict: testVerdictContext(prompt),
        getApiKey: async () => 'right',
      }),
    );
    expect(wrongModel.code).toBe('model_not_found');
    expect(wrongModel.message).toContain('served-name');
    const wrongKey = await engineError(
      OpenAiCompatibleEngine.connect({
        baseUrl,
        model: 'served-name',
        verdict: testVerdictContext(prompt),
        getApiKey: async () => 'wrong',
      }),
    );
    expect(wrongKey.code).toBe('unauthorized');
  });

  it('detects a server that silently drops images (no extra prompt tokens)', async () => {
    const baseUrl = await serve((req, res, body) => {
      if (req.url === '/v1/models') return json(res, 200, { data: [{ id: 'm' }] });
      void body;
      json(res, 200, { choices: [{ message: { content: 'x' } }], usage: { prompt_tokens: 20, completion_tokens: 1 } });
    });
    const error = await engineError(
      OpenAiCompatibleEngine.connect({ baseUrl, model: 'm', verdict: testVerdictContext(prompt) }),
    );
    expect(error.code).toBe('no_vision');
    expect(error.message).toMatch(/added 0 prompt tokens/);
  });

  it('reports a closed port as unreachable and a TLS handshake with a plain-http server as a TLS failure', async () => {
    const closedPort = await freeLoopbackPort();
    const unreachable = await engineError(
      OpenAiCompatibleEngine.connect({
        baseUrl: `http://127.0.0.1:${closedPort}/v1`,
        model: 'm',
        verdict: testVerdictContext(prompt),
      }),
    );
    expect(unreachable.code).toBe('unreachable');
    expect(unreachable.message).toContain(`127.0.0.1:${closedPort}`);

    const plainHttp = (await serve(vllmLike().handler)).replace('http://', 'https://');
    const tls = await engineError(
      OpenAiCompatibleEngine.connect({
        baseUrl: plainHttp,
        model: 'guardtrace-vl-3b',
        verdict: testVerdictContext(prompt),
      }),
    );
    expect(tls.code).toBe('tls');
  });
});
