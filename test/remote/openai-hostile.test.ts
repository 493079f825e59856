// The OpenAI-compatible engine against servers that misbehave on purpose (real node:http servers on 127.0.0.1):
// a redirect must not carry the case anywhere, and no stream, line or body may grow without bound or last forever.
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { EngineError } from '@main/engine/engine';
import { serveLocal } from '../helpers/local-http';
import { testVerdictContext } from '../helpers/verdict-context';
import { OpenAiCompatibleEngine, type OpenAiEngineOptions } from '@main/engine/openai/openai-engine';

const prompt = { text: 'You are an auditor.', sha256: 'test', hashOk: true };
const secretCase = {
  caseId: 'c1',
  query: 'SECRET-CASE-TEXT',
  thinking: 't',
  response: 'r',
  image: null,
  imageMissing: false,
};

const serve = serveLocal;

const models = (res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ data: [{ id: 'm', owned_by: 'vllm' }] }));
};

function connect(base: string, extra: Partial<OpenAiEngineOptions> = {}) {
  return OpenAiCompatibleEngine.connect({
    baseUrl: `${base}/v1`,
    model: 'm',
    verdict: testVerdictContext(prompt),
    visionProbe: 'skip',
    maxRetries: 0,
    ...extra,
  });
}

async function auditError(engine: OpenAiCompatibleEngine, onToken?: (t: string) => void): Promise<EngineError> {
  try {
    await engine.audit(secretCase, { onToken });
  } catch (error) {
    expect(error).toBeInstanceOf(EngineError);
    return error as EngineError;
  }
  throw new Error('expected the audit to fail');
}

const chunk = (content: string) => `data: ${JSON.stringify({ choices: [{ delta: { content } }] })}\n\n`;

/** Writes `next()` whenever the socket drains, until the client goes away. */
function streamForever(
  res: ServerResponse,
  next: () => string,
  head: { status: number; type: string; first?: string } = { status: 200, type: 'text/event-stream' },
): void {
  res.writeHead(head.status, { 'content-type': head.type });
  if (head.first) res.write(head.first);
  const pump = () => {
    while (!res.destroyed && res.write(next()));
    if (!res.destroyed) res.once('drain', pump);
  };
  res.on('close', () => res.removeAllListeners('drain'));
  pump();
}

describe('a hostile OpenAI-compatible server', () => {
  it('a redirect is refused, at connect and mid-batch, and the case text never reaches the redirect target', async () => {
    const received: string[] = [];
    const elsewhere = await serve((req, res, body) => {
      received.push(`${req.method} ${req.url} ${body}`);
      models(res);
    });
    const redirectAll = await serve((req, res) => {
      res.writeHead(307, { location: `${elsewhere}${req.url}` });
      res.end();
    });
    const refused = await connect(redirectAll).then(
      () => null,
      (error: EngineError) => error,
    );
    expect(refused?.message).toMatch(/redirect \(HTTP 307 to http:\/\/127\.0\.0\.1:\d+\/v1\/models\).*does not follow/);

    // A server that lists its model, then redirects the chat request (the finding of issue 12).
    const redirectChat = await serve((req, res) => {
      if (req.url === '/v1/models') return models(res);
      res.writeHead(307, { location: `${elsewhere}${req.url}` });
      res.end();
    });
    const engine = await connect(redirectChat);
    expect(engine.info().dataLeavesMachine).toBe(false);
    const error = await auditError(engine);
    expect(error.code).toBe('unreachable');
    expect(error.details).toMatchObject({ status: 307 });
    expect(received.filter((r) => r.includes('SECRET-CASE-TEXT'))).toEqual([]);
    expect(received).toEqual([]);
  });

  it('an endless stream of tokens stops at the output cap, with bounded memory', async () => {
    const base = await serve((req, res) =>
      req.url === '/v1/models' ? models(res) : streamForever(res, () => chunk('x'.repeat(1000))),
    );
    const engine = await connect(base);
    let forwarded = 0;
    const before = process.memoryUsage().heapUsed;
    const error = await auditError(engine, (t) => (forwarded += t.length));
    expect(error.message).toMatch(/generated more than 1048576 bytes for one case/);
    expect(error.details).toMatchObject({ limit: true });
    expect(forwarded).toBeLessThanOrEqual(1024 * 1024);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
  }, 60_000);

  it('a stream without newlines fails at the line cap instead of spinning until the first-token timeout', async () => {
    const base = await serve((req, res) =>
      req.url === '/v1/models' ? models(res) : streamForever(res, () => 'data: ' + 'y'.repeat(8192)),
    );
    const engine = await connect(base, { limits: { maxSseLineBytes: 256 * 1024 } });
    const started = Date.now();
    const error = await auditError(engine);
    expect(error.message).toMatch(/stream line longer than 262144 bytes/);
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);

  it('an endless stream of empty chunks stops at the stream cap', async () => {
    const empty = `data: ${JSON.stringify({ choices: [{ delta: {} }] })}\n\n`;
    const base = await serve((req, res) => (req.url === '/v1/models' ? models(res) : streamForever(res, () => empty)));
    const engine = await connect(base, { limits: { maxStreamBytes: 512 * 1024 } });
    expect((await auditError(engine)).message).toMatch(/more than 524288 bytes in one stream/);
  }, 60_000);

  it('a slow endless stream stops at the per-case deadline', async () => {
    const base = await serve((req, res) => {
      if (req.url === '/v1/models') return models(res);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const timer = setInterval(() => res.write(chunk('z')), 50);
      res.on('close', () => clearInterval(timer));
    });
    const engine = await connect(base, { limits: { caseDeadlineMs: 1500 } });
    const started = Date.now();
    const error = await auditError(engine);
    expect(error.message).toMatch(/did not finish case c1 within/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
  }, 60_000);

  it('a huge error body is read only up to its cap, and a huge JSON answer is refused', async () => {
    const hugeError = await serve((req, res) => {
      if (req.url === '/v1/models') return models(res);
      streamForever(res, () => 'e'.repeat(65536), { status: 400, type: 'application/json' });
    });
    const engine = await connect(hugeError);
    const error = await auditError(engine);
    expect(error.message.length).toBeLessThan(80 * 1024);

    const hugeJson = await serve((req, res) => {
      streamForever(res, () => '{"id": "m", "owned_by": "vllm"},', {
        status: 200,
        type: 'application/json',
        first: '{"data": [',
      });
    });
    const refused = await connect(hugeJson, { limits: { maxJsonBodyBytes: 1024 * 1024 } }).then(
      () => null,
      (e: EngineError) => e,
    );
    expect(refused?.message).toMatch(/larger than 1048576 bytes/);
  }, 60_000);
});
