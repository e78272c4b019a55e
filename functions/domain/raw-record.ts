/** One framed record: its bytes and where it starts in the object. */
export interface RawRecord {
  /** Byte offset of the record's first byte in the object. */
  offset: number;
  /** The record's bytes, or null when it was longer than the configured maximum. */
  bytes: Buffer | null;
  length: number;
}

/**
 * Turns a byte stream into records. Push the bytes in order; each call returns the records
 * completed so far. `done` turns true once the framer needs no more input (the rest of the
 * stream belongs to another chunk), so the caller can stop reading.
 */
export interface RecordFramer {
  push(bytes: Buffer): RawRecord[];
  end(): RawRecord[];
  readonly done: boolean;
}
