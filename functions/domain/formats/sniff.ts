// An object's first bytes as the formats' detectors read them: the text without a byte order
// mark, where its first non-blank character is, and (computed once, on first use) how many of
// its first lines look like JSON records and how many like delimited text.

/** Enough to settle almost every object: a JSON Lines record shows a member of its own early. */
export const FORMAT_SNIFF_BYTES = 4096;
/** Read when the first bytes do not settle it (a document so far, a long CSV header, gzip). */
export const FORMAT_SNIFF_MAX_BYTES = 64 * 1024;

/** Lines of the head that the tallies look at. */
const TALLIED_LINES = 64;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export interface LineTally {
  /** Lines that start with "{". */
  json: number;
  /** Other lines holding a comma or a tab. */
  delimited: number;
}

export class SniffedHead {
  readonly text: string;
  /** Index in `text` of the first character that is not blank (text.length: all blank so far). */
  readonly start: number;
  private tally?: LineTally;

  constructor(readonly bytes: Buffer) {
    let text = bytes.toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    let start = 0;
    while (start < text.length && isSpace(text.charCodeAt(start))) start++;
    this.text = text;
    this.start = start;
  }

  /** The first non-blank character, or undefined when the head is blank so far. */
  get first(): string | undefined {
    return this.text[this.start];
  }

  /** Index of the first non-blank character at or after `from`. */
  skipSpace(from: number): number {
    let i = from;
    while (i < this.text.length && isSpace(this.text.charCodeAt(i))) i++;
    return i;
  }

  /** JSON-looking and delimited lines among the first ones (a last line that may be cut is left out). */
  lines(): LineTally {
    if (this.tally) return this.tally;
    const lines = this.text.slice(this.start).split('\n');
    if (lines.length > 1 && this.text.length === this.bytes.length) lines.pop(); // the last line may be cut
    const tally = { json: 0, delimited: 0 };
    for (const line of lines.slice(0, TALLIED_LINES)) {
      const t = line.trim();
      if (t === '') continue;
      if (t.startsWith('{')) tally.json++;
      else if (/[,\t]/.test(t)) tally.delimited++;
    }
    return (this.tally = tally);
  }

  /** Whether a line break follows the first non-blank character (the first line is complete). */
  hasLineBreak(): boolean {
    return this.text.includes('\n', this.start);
  }
}
