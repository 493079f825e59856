// Splits a byte stream into lines without ever holding more than one line of at most `maxLineBytes`: a longer
// line is counted and skipped as it streams past (never buffered), and reported as oversize with its length.
// readline, by contrast, buffers a line whole, so one 1 GB line costs 1 GB (or more, as a string).

export type BoundedLine = { line: number; text: string } | { line: number; oversizeBytes: number };

const NEWLINE = 0x0a;

export async function* boundedLines(chunks: AsyncIterable<Buffer>, maxLineBytes: number): AsyncGenerator<BoundedLine> {
  let parts: Buffer[] = [];
  let bytes = 0;
  let oversize = false;
  let line = 0;
  const take = (segment: Buffer) => {
    bytes += segment.length;
    if (oversize) return;
    if (bytes > maxLineBytes) {
      oversize = true;
      parts = [];
    } else if (segment.length) parts.push(segment);
  };
  const finish = (): BoundedLine => {
    line++;
    const result: BoundedLine = oversize
      ? { line, oversizeBytes: bytes }
      : { line, text: Buffer.concat(parts, bytes).toString('utf8').replace(/\r$/, '') };
    parts = [];
    bytes = 0;
    oversize = false;
    return result;
  };
  for await (const chunk of chunks) {
    let start = 0;
    let newline = chunk.indexOf(NEWLINE, start);
    while (newline !== -1) {
      take(chunk.subarray(start, newline));
      yield finish();
      start = newline + 1;
      newline = chunk.indexOf(NEWLINE, start);
    }
    // Copied: a slice would keep the whole chunk alive for as long as the line is being gathered.
    if (start < chunk.length) take(Buffer.from(chunk.subarray(start)));
  }
  if (bytes > 0 || oversize) yield finish();
}
