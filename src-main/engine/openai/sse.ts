// Minimal server-sent-events reader for OpenAI-style streams ("data: {json}\n\n" … "data: [DONE]").

/** Yields the data payload of each event. Handles events split across chunks, CRLF line ends and multi-line data. */
export async function* readSseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  let dataLines: string[] = [];
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, '');
        buffer = buffer.slice(newline + 1);
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
      if (done) {
        if (buffer.startsWith('data:')) dataLines.push(buffer.slice(buffer[5] === ' ' ? 6 : 5));
        if (dataLines.length > 0) yield dataLines.join('\n');
        return;
      }
    }
  } finally {
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
