// The record-shape contract: what shaping one framed record yields. A record that cannot be
// used becomes a BadRecord with a reason; shaping never throws, so one bad line cannot stop a load.
import type { RawRecord } from './raw-record.js';

export const MAX_KEY_LENGTH = 512;

export interface ShapedRecord {
  key: string;
  value: string;
  /** Ranked items: how many items the list holds (for the release checks' list-length stats). */
  items?: number;
  /** Feature rows with declared fields: the positions (in declaration order) of fields that are null; absent when none is. */
  nulls?: number[];
}

export interface BadRecord {
  offset: number;
  reason: string;
}

export interface RecordShape {
  shape(record: RawRecord): ShapedRecord | BadRecord;
}

export function isBad(result: ShapedRecord | BadRecord): result is BadRecord {
  return (result as BadRecord).reason !== undefined;
}

