// Streams one JSON document and hands out its records one at a time, each as its own JSON text, so no more than
// one record (of at most `maxPieceBytes`) is ever held: the elements of a top-level array (a GuardTrace dataset
// file), or the members of a top-level object with the elements of one named array member streamed the same way
// (a decisions file's `decisions`). It only finds where records begin and end (strings, escapes, nesting): each
// record's own syntax is JSON.parse's job, so a broken record is that record's error, not the file's.
// Structural bytes are ASCII and never occur inside a UTF-8 multi-byte sequence, so bytes are scanned directly.

export interface JsonPiece {
  /** The member's name in object mode; null for a top-level array's element. */
  key: string | null;
  /** The element's position (0-based) in the array it belongs to; -1 for an object member. */
  index: number;
  /** The record's JSON text, or null when it was larger than the cap (it was skipped unread). */
  text: string | null;
  bytes: number;
}

export class JsonStructureError extends Error {}

export interface JsonSplitterOptions {
  top: 'array' | 'object';
  /** In object mode: the member whose array elements are handed out one by one. */
  streamKey?: string;
  maxPieceBytes: number;
}

type State = 'start' | 'key' | 'colon' | 'value' | 'piece' | 'after' | 'end';
type Container = 'array' | 'object' | 'stream';

const MAX_KEY_BYTES = 4096;
const BOM = [0xef, 0xbb, 0xbf];
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
const isOpen = (b: number) => b === 0x7b || b === 0x5b;
const isClose = (b: number) => b === 0x7d || b === 0x5d;

export class JsonSplitter {
  private state: State = 'start';
  private container: Container | null = null;
  private bomBytes = 0;
  private key: string | null = null;
  private pieceIsKey = false;
  private index = 0;
  private nest = 0;
  private inString = false;
  private escape = false;
  private primitive = false;
  private parts: Buffer[] = [];
  private bytes = 0;
  private oversize = false;

  constructor(private readonly options: JsonSplitterOptions) {}

  /** The records completed within `chunk`. Throws JsonStructureError when the document's outline is wrong. */
  *push(chunk: Buffer): Generator<JsonPiece> {
    let i = 0;
    let pieceStart = this.state === 'piece' ? 0 : -1;
    for (; i < chunk.length; i++) {
      const b = chunk[i];
      switch (this.state) {
        case 'piece': {
          let endAt = -1;
          if (this.inString) {
            if (this.escape) this.escape = false;
            else if (b === BACKSLASH) this.escape = true;
            else if (b === QUOTE) {
              this.inString = false;
              if (this.nest === 0) endAt = i + 1;
            }
          } else if (this.primitive) {
            if (isSpace(b) || b === 0x2c || isClose(b)) {
              endAt = i;
              i--; // the delimiter is read again as what follows the value
            }
          } else if (b === QUOTE) this.inString = true;
          else if (isOpen(b)) this.nest++;
          else if (isClose(b) && --this.nest === 0) endAt = i + 1;
          if (endAt !== -1) {
            this.take(chunk.subarray(pieceStart, endAt));
            pieceStart = -1;
            const piece = this.finishPiece();
            if (piece) yield piece;
          }
          break;
        }
        case 'start':
          // A UTF-8 byte-order mark may open the document (its bytes can arrive in separate chunks).
          if (this.bomBytes < 3 && b === BOM[this.bomBytes]) {
            this.bomBytes++;
            break;
          }
          this.bomBytes = 3;
          if (isSpace(b)) break;
          if (this.options.top === 'array' && b === 0x5b) [this.container, this.state] = ['array', 'value'];
          else if (this.options.top === 'object' && b === 0x7b) [this.container, this.state] = ['object', 'key'];
          else
            throw new JsonStructureError(
              `it holds ${describeStart(b)}, not ${this.options.top === 'array' ? 'an array' : 'an object'}`,
            );
          break;
        case 'key':
          if (isSpace(b)) break;
          if (b === 0x7d) this.state = 'end';
          else if (b === QUOTE) {
            this.beginPiece(b, true);
            pieceStart = i;
          } else
            throw new JsonStructureError(`a member name was expected at byte ${i}, not "${String.fromCharCode(b)}"`);
          break;
        case 'colon':
          if (isSpace(b)) break;
          if (b !== 0x3a) throw new JsonStructureError(`":" was expected after the member "${this.key}"`);
          this.state = 'value';
          break;
        case 'value':
          if (isSpace(b)) break;
          if (b === 0x5d && this.container !== 'object') this.closeArray();
          else if (this.container === 'object' && this.key === this.options.streamKey && b === 0x5b) {
            [this.container, this.index, this.state] = ['stream', 0, 'value'];
          } else {
            this.beginPiece(b, false);
            pieceStart = i;
          }
          break;
        case 'after':
          if (isSpace(b)) break;
          if (b === 0x2c) this.state = this.container === 'object' ? 'key' : 'value';
          else if (b === 0x5d && this.container !== 'object') this.closeArray();
          else if (b === 0x7d && this.container === 'object') this.state = 'end';
          else
            throw new JsonStructureError(
              `"," or the end of the ${this.container === 'object' ? 'object' : 'array'} was expected, not "${String.fromCharCode(b)}"`,
            );
          break;
        case 'end':
          if (!isSpace(b)) throw new JsonStructureError('there is more after the end of the JSON document');
          break;
      }
    }
    if (pieceStart !== -1 && this.state === 'piece') this.take(Buffer.from(chunk.subarray(pieceStart)));
  }

  /** At the end of the input: throws JsonStructureError when the document was cut short. */
  end(): void {
    if (this.state === 'start') throw new JsonStructureError('it is empty');
    if (this.state !== 'end') throw new JsonStructureError('it ends in the middle of the document (cut short?)');
  }

  private beginPiece(first: number, isKey: boolean): void {
    this.state = 'piece';
    this.pieceIsKey = isKey;
    this.parts = [];
    this.bytes = 0;
    this.oversize = false;
    this.escape = false;
    this.inString = first === QUOTE;
    this.nest = isOpen(first) ? 1 : 0;
    this.primitive = !this.inString && this.nest === 0;
  }

  private take(segment: Buffer): void {
    this.bytes += segment.length;
    if (this.oversize) return;
    const cap = this.pieceIsKey ? MAX_KEY_BYTES : this.options.maxPieceBytes;
    if (this.bytes > cap) {
      this.oversize = true;
      this.parts = [];
    } else this.parts.push(segment);
  }

  private finishPiece(): JsonPiece | null {
    const text = this.oversize ? null : Buffer.concat(this.parts, this.bytes).toString('utf8');
    this.parts = [];
    if (this.pieceIsKey) {
      if (text === null) throw new JsonStructureError(`a member name is longer than ${MAX_KEY_BYTES} bytes`);
      try {
        this.key = JSON.parse(text) as string;
      } catch {
        throw new JsonStructureError(`a member name is not a valid JSON string (${text.slice(0, 80)})`);
      }
      this.state = 'colon';
      return null;
    }
    this.state = 'after';
    const inArray = this.container !== 'object';
    const piece: JsonPiece = {
      key: this.container === 'array' ? null : this.key,
      index: inArray ? this.index : -1,
      text,
      bytes: this.bytes,
    };
    if (inArray) this.index++;
    return piece;
  }

  private closeArray(): void {
    if (this.container === 'stream') [this.container, this.state] = ['object', 'after'];
    else this.state = 'end';
  }
}

function describeStart(b: number): string {
  if (b === 0x7b) return 'a JSON object';
  if (b === 0x5b) return 'a JSON array';
  if (b === QUOTE) return 'a JSON string';
  if (b === 0x6e) return 'null';
  return `"${String.fromCharCode(b)}" where the document should start`;
}
