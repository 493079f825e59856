// A local OpenAI-compatible server for tests that need an engine without a model: it answers the connect checks
// (model list, vision probe) like vLLM and streams a fixed verdict slowly, counting every generation it runs.
// Counting generations (not verdicts) is what shows whether two processes did the same case twice.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const FAKE_MODEL = 'guardtrace-vl-3b';

export interface FakeOpenAiServer {
  baseUrl: string;
  /** The user message text of every streamed (auditing) request, in arrival order. */
  generations: string[];
  /** How many of its pieces each generation wrote before it ended or its client went away, in arrival order. */
  piecesWritten: number[];
  close: () => Promise<void>;
}

function userText(body: Record<string, unknown>): string {
  const messages = (body.messages ?? []) as Array<{ role: string; content: unknown }>;
  const user = messages.find((m) => m.role === 'user');
  if (!user) return '';
  if (typeof user.content === 'string') return user.content;
  return (user.content as Array<{ type: string; text?: string }>)
    .filter((part) => part.type === 'text')
    .map((part) => part.text ?? '')
    .join('');
}

/** Streams `pieces` with `pieceDelayMs` between them, so a case takes a predictable while. */
export async function startFakeOpenAiServer(
  options: {
    pieces?: string[];
    pieceDelayMs?: number;
    /** Chooses the pieces from the user message text (a verdict that depends on the input). */
    respond?: (userText: string) => string[];
  } = {},
): Promise<FakeOpenAiServer> {
  const fixedPieces = options.pieces ?? [
    '“Analysis”: the response refuses.',
    '\n“Judgment”: ',
    '0',
    '\n“Category”: Safe',
  ];
  const generations: string[] = [];
  const piecesWritten: number[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const json = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    if (req.url === '/v1/models')
      return json(200, { data: [{ id: FAKE_MODEL, owned_by: 'vllm', max_model_len: 8192 }] });
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    const images = JSON.stringify(body.messages ?? []).split('image_url').length - 1;
    const pieces = body.stream && options.respond ? options.respond(userText(body)) : fixedPieces;
    const usage = { prompt_tokens: 20 + 64 * images, completion_tokens: pieces.length };
    if (!body.stream) return json(200, { choices: [{ message: { content: 'ok' } }], usage });
    generations.push(userText(body));
    const generation = piecesWritten.push(0) - 1;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let index = 0;
    const next = () => {
      if (res.destroyed) return;
      if (index < pieces.length) {
        res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: pieces[index++] } }] })}\n\n`);
        piecesWritten[generation] = index;
        setTimeout(next, options.pieceDelayMs ?? 0);
        return;
      }
      res.write(`data: ${JSON.stringify({ choices: [], usage })}\n\n`);
      res.end('data: [DONE]\n\n');
    };
    next();
  };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => handle(req, res, raw));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    generations,
    piecesWritten,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
