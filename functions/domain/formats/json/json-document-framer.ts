// Streams the records out of one JSON document without holding the document: either a
// top-level array of records, or an object whose "data" member is that array (pandas
// `orient="table"`, as in the AWS ElastiCache sample). A structural scan finds each element's
// byte span; the element alone is then parsed. Structure errors (a truncated document, text
// after the end) are fatal and name the byte offset; a bad element is just a bad record.
import { BadDataError } from '../../../errors.js';
import type { RawRecord, RecordFramer } from '../../raw-record.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const DATA_KEY = Buffer.from('data');
const BOM = [0xef, 0xbb, 0xbf];

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

export class JsonDocumentFramer implements RecordFramer {
  private position = 0; // absolute offset of the first byte of the buffer being pushed
  private depth = 0;
  private inString = false;
  private escape = false;
  private started = false; // the top-level value has begun
  private closed = false; // the top-level value has ended
  private objectMode = false;
  private recordsDepth = -1; // depth inside the records array, once found
  private recordsClosed = false;
  // Top-level object members: which key we are in, to spot "data".
  private expectingKey = false;
  private keyBytes: number[] | null = null;
  private lastKey = '';
  // The element being framed.
  private elementStart = -1;
  private pieces: Buffer[] = [];
  private pieceBytes = 0;
  private bomMatched = 0; // bytes of a leading UTF-8 byte order mark seen so far

  constructor(private readonly maxRecordBytes: number) {}

  get done(): boolean {
    return false; // a document is read to its end
  }

  push(bytes: Buffer): RawRecord[] {
    const out: RawRecord[] = [];
    let pieceFrom = this.elementStart >= 0 ? 0 : -1;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (this.position + i === this.bomMatched && this.bomMatched < 3 && b === BOM[this.bomMatched]) {
        this.bomMatched++;
        continue;
      }
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (b === BACKSLASH) this.escape = true;
        else if (b === QUOTE) {
          this.inString = false;
          if (this.keyBytes) {
            this.lastKey = Buffer.from(this.keyBytes).equals(DATA_KEY) ? 'data' : '?';
            this.keyBytes = null;
          }
        } else if (this.keyBytes && this.keyBytes.length <= DATA_KEY.length) this.keyBytes.push(b);
        continue;
      }
      if (isSpace(b)) continue;
      const at = this.position + i;
      if (this.closed) throw new BadDataError(`unexpected text after the end of the JSON document at byte ${at}`, { offset: at });
      if (this.depth === this.recordsDepth && this.elementStart < 0 && b !== COMMA && b !== 0x5d) {
        this.elementStart = at;
        pieceFrom = i;
      }
      switch (b) {
        case QUOTE:
          this.inString = true;
          if (this.objectMode && this.depth === 1 && this.expectingKey) {
            this.keyBytes = [];
            this.expectingKey = false;
          }
          if (!this.started) this.fail(at, 'a JSON document must be an array of records or an object with a "data" array');
          break;
        case 0x7b: // {
        case 0x5b: // [
          if (!this.started) {
            this.started = true;
            if (b === 0x5b) this.recordsDepth = 1;
            else {
              this.objectMode = true;
              this.expectingKey = true;
            }
          } else if (this.objectMode && this.depth === 1 && b === 0x5b && this.lastKey === 'data' && this.recordsDepth < 0) {
            this.recordsDepth = 2;
          }
          this.depth++;
          break;
        case 0x7d: // }
        case 0x5d: // ]
          if (this.depth === 0) this.fail(at, `unbalanced '${String.fromCharCode(b)}'`);
          this.depth--;
          if (this.depth === this.recordsDepth - 1 && b === 0x5d && !this.recordsClosed) {
            if (this.elementStart >= 0) this.finishElement(bytes, pieceFrom, i, out);
            pieceFrom = -1;
            this.recordsClosed = true;
          }
          if (this.depth === 0) this.closed = true;
          break;
        case COMMA:
          if (this.depth === this.recordsDepth && this.elementStart >= 0) {
            this.finishElement(bytes, pieceFrom, i, out);
            pieceFrom = -1;
          }
          if (this.objectMode && this.depth === 1) this.expectingKey = true;
          break;
        case COLON:
          break;
        default:
          if (!this.started) this.fail(at, 'a JSON document must be an array of records or an object with a "data" array');
      }
    }
    if (this.elementStart >= 0 && pieceFrom >= 0) this.hold(bytes.subarray(pieceFrom));
    this.position += bytes.length;
    return out;
  }

  end(): RawRecord[] {
    const at = this.position;
    if (!this.started) this.fail(at, 'the JSON document is empty');
    if (!this.closed) {
      const where = this.inString ? 'inside a string' : `with ${this.depth} unclosed bracket(s)`;
      this.fail(at, `the JSON document is truncated: it ends at byte ${at} ${where}`);
    }
    if (this.recordsDepth < 0) this.fail(at, 'the JSON document is an object without a "data" array of records');
    return [];
  }

  private fail(at: number, message: string): never {
    throw new BadDataError(message.includes('byte') ? message : `${message} (byte ${at})`, { offset: at });
  }

  private hold(piece: Buffer): void {
    this.pieceBytes += piece.length;
    // Past the limit keep counting, stop holding: memory stays bounded whatever the size.
    if (this.pieceBytes <= this.maxRecordBytes) this.pieces.push(piece);
    else this.pieces = [];
  }

  private finishElement(bytes: Buffer, pieceFrom: number, stop: number, out: RawRecord[]): void {
    if (pieceFrom >= 0) this.hold(bytes.subarray(pieceFrom, stop));
    const offset = this.elementStart;
    const length = this.pieceBytes;
    const pieces = this.pieces;
    this.elementStart = -1;
    this.pieces = [];
    this.pieceBytes = 0;
    if (length > this.maxRecordBytes) out.push({ offset, bytes: null, length });
    else {
      const element = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, length);
      out.push({ offset, bytes: element, length });
    }
  }
}
