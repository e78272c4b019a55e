// JSON Lines framing with the chunk-edge rule: a line belongs to the chunk in which its first
// byte lies. The reader starts one byte early (at start-1) to learn whether `start` begins a
// line, skips the partial line it lands in, and reads past `end` to finish its last line.
// Newlines are found in bytes: 0x0A never occurs inside a multi-byte UTF-8 sequence.
import type { RawRecord, RecordFramer } from '../raw-record.js';

const LF = 0x0a;
const CR = 0x0d;

/** The offset the stream handed to a LineFramer for [start, end) must begin at. */
export function lineReadStart(start: number): number {
  return start > 0 ? start - 1 : 0;
}

export class LineFramer implements RecordFramer {
  private position: number; // absolute offset of the next byte pushed
  private skipping: boolean; // inside the line that belongs to the previous chunk
  private lineStart: number;
  private pieces: Buffer[] = [];
  private pieceBytes = 0;
  private finished = false;

  constructor(
    start: number,
    private readonly endOffset: number,
    private readonly maxRecordBytes: number,
  ) {
    this.position = lineReadStart(start);
    this.skipping = start > 0;
    this.lineStart = start;
  }

  get done(): boolean {
    return this.finished;
  }

  push(bytes: Buffer): RawRecord[] {
    const out: RawRecord[] = [];
    let i = 0;
    while (i < bytes.length && !this.finished) {
      const nl = bytes.indexOf(LF, i);
      const stop = nl === -1 ? bytes.length : nl;
      if (this.skipping) {
        if (nl !== -1) {
          this.skipping = false;
          this.lineStart = this.position + nl + 1;
          if (this.lineStart >= this.endOffset) this.finished = true;
        }
      } else {
        this.append(bytes, i, stop);
        if (nl !== -1) {
          this.emit(out);
          this.lineStart = this.position + nl + 1;
          if (this.lineStart >= this.endOffset) this.finished = true;
        }
      }
      i = stop + 1;
    }
    this.position += bytes.length;
    return out;
  }

  end(): RawRecord[] {
    const out: RawRecord[] = [];
    if (!this.finished && !this.skipping && this.pieceBytes > 0) this.emit(out);
    this.finished = true;
    return out;
  }

  private append(bytes: Buffer, from: number, to: number): void {
    if (to <= from) return;
    this.pieceBytes += to - from;
    // Past the limit keep counting, stop holding: memory stays bounded whatever the line length.
    if (this.pieceBytes <= this.maxRecordBytes) this.pieces.push(bytes.subarray(from, to));
    else this.pieces = [];
  }

  private emit(out: RawRecord[]): void {
    const length = this.pieceBytes;
    const pieces = this.pieces;
    this.pieces = [];
    this.pieceBytes = 0;
    if (length > this.maxRecordBytes) {
      out.push({ offset: this.lineStart, bytes: null, length });
      return;
    }
    let line = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, length);
    let offset = this.lineStart;
    if (offset === 0 && line.length >= 3 && line[0] === 0xef && line[1] === 0xbb && line[2] === 0xbf) {
      line = line.subarray(3); // UTF-8 byte order mark
      offset = 3;
    }
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    if (isBlank(line)) return;
    out.push({ offset, bytes: line, length: line.length });
  }
}

function isBlank(line: Buffer): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c !== 0x20 && c !== 0x09 && c !== CR) return false;
  }
  return true;
}
