// Minimal server-sent-events reader for OpenAI-style streams ("data: {json}\n\n" … "data: [DONE]").

export interface SseLimits {
  /** Longest line accepted; longer fails the stream with onLimit's error. */
  maxLineBytes?: number;
  /** Most bytes read from the stream in all. */
  maxTotalBytes?: number;
  /** The error to throw when a limit is passed. */
  onLimit?: (what: string) => Error;
}

/**
 * Yields the data payload of each event. Handles events split across chunks, CRLF line ends and multi-line data.
 * Each received chunk is scanned once for newlines, so a stream without any costs linear time until the line cap.
 */
export async function* readSseData(body: ReadableStream<Uint8Array>, limits: SseLimits = {}): AsyncGenerator<string> {
  const maxLine = limits.maxLineBytes ?? Number.POSITIVE_INFINITY;
  const maxTotal = limits.maxTotalBytes ?? Number.POSITIVE_INFINITY;
  const fail = limits.onLimit ?? ((what: string) => new Error(what));
  const decoder = new TextDecoder();
  let buffer = '';
  let scanFrom = 0;
  let total = 0;
  let dataLines: string[] = [];
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (value) {
        total += value.byteLength;
        if (total > maxTotal) throw fail(`sent more than ${maxTotal} bytes in one stream`);
      }
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf('\n', scanFrom)) >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, '');
        buffer = buffer.slice(newline + 1);
        scanFrom = 0;
        if (line === '') {
          if (dataLines.length > 0) yield dataLines.join('\n');
          dataLines = [];
        } else if (line.startsWith('data:')) {
          dataLines.push(line.slice(line[5] === ' ' ? 6 : 5));
        } else if (line.startsWith('error:')) {
          // llama-server writes "error: {json}" lines for failures after the headers went out.
          dataLines.push(
            JSON.stringify({ error: safeJson(line.slice(6).trim()) ?? { message: line.slice(6).trim() } }),
          );
        }
        // comments (":") and other fields (event:, id:, retry:) carry nothing we need
      }
      scanFrom = buffer.length;
      // Characters, not bytes: a UTF-16 length is at most the UTF-8 one, so this never cuts a valid line short.
      if (buffer.length > maxLine) throw fail(`sent a stream line longer than ${maxLine} bytes`);
      if (done) {
        if (buffer.startsWith('data:')) dataLines.push(buffer.slice(buffer[5] === ' ' ? 6 : 5));
        if (dataLines.length > 0) yield dataLines.join('\n');
        return;
      }
    }
  } finally {
    // Also on an early exit ([DONE], a limit, an abort): stop the transfer instead of leaving the socket open.
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
