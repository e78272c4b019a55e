// One input format behind one interface: how Plan recognises an object from its first bytes
// (detect), how a worker turns a part of it into records (frame), and what those records are
// stored as (shape). Each format is a folder beside this file; registry.ts lists them, in the
// order they are asked. Adding a format: a folder with a module, and one line in the registry.
import type { ChunkPart, InputFormat, InputObject } from '../chunk-plan.js';
import type { DatasetSpec } from '../dataset-spec.js';
import type { RecordFramer } from '../raw-record.js';
import type { BadRecord, RecordShape, ShapedRecord } from '../shaped-record.js';
import type { SniffedHead } from './sniff.js';

export type Recognised = { ok: true; format: InputFormat; settled: boolean } | { ok: false; reason: string };

/** What Plan knows beside an object's bytes: its name, and whether its dataset declares a CSV layout. */
export interface DetectHints {
  key?: string;
  csvDeclared?: boolean;
}

interface FormatModule {
  readonly name: InputFormat;
  /** Its name in messages ("Parquet"). */
  readonly title: string;
  /**
   * This format, if the head shows it (`settled: false` when more bytes could change the
   * answer), or undefined to let the next format in the registry look.
   */
  detect(head: SniffedHead, hints: DetectHints): Recognised | undefined;
}

/** What shaping a part needs: the dataset, its JSON shape (built once per worker), the record limit. */
interface ShapeContext {
  spec: DatasetSpec;
  jsonShape: RecordShape;
  maxRecordBytes: number;
}

/** A format read as a byte stream and framed into records (JSON Lines, a JSON document, CSV). */
export interface ByteFormat extends FormatModule {
  readonly reads: 'bytes';
  /** 'ranges': Plan cuts an object anywhere (a record belongs to the part its first byte is in); 'whole': one part per object. */
  readonly cut: 'ranges' | 'whole';
  /**
   * At Plan, what the head (decompressed; whole when `complete`) says about the object beyond
   * its format, set on the planned object (CSV: its columns, delimiter, header). Throws
   * BadDataError naming `where` when the object cannot serve the dataset.
   */
  inspectHead?(head: Buffer, at: { spec: DatasetSpec; where: string; complete: boolean }): Partial<InputObject>;
  /** The head must hold a complete first line for inspectHead (Plan reads further until it does). */
  readonly needsFirstLine?: boolean;
  /** The offset the part's byte stream starts at. */
  readFrom(part: ChunkPart): number;
  framer(part: ChunkPart, maxRecordBytes: number): RecordFramer;
  /** Whether the first record of this part is not data (a CSV header at the start of its object). */
  skipsFirstRecord?(part: ChunkPart, spec: DatasetSpec): boolean;
  shape(part: ChunkPart, at: ShapeContext): RecordShape;
}

/** A format read in row groups, each decoded whole by its worker (Parquet; pipeline/parquet-source.ts reads it). */
export interface RowFormat extends FormatModule {
  readonly reads: 'rows';
  /** The top-level columns the dataset reads, or why the file's columns cannot serve it. */
  columnsFor(spec: DatasetSpec, columns: readonly string[]): { columns: string[] } | { problem: string };
  /** Shapes one decoded row; `rowNumber` is where a bad row is reported. */
  rowShape(spec: DatasetSpec): (row: Record<string, unknown>, rowNumber: number) => ShapedRecord | BadRecord;
}

export type InputFormatModule = ByteFormat | RowFormat;
