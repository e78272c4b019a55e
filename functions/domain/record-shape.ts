// From one framed record to what Sluice stores: a key and an encoded value. Which fields
// hold them is configuration. The contract is in shaped-record.ts; the JSON.parse path (the
// reference) in record-shape-reference.ts; the scanner fast path in record-shape-fast.ts.
import { isUtf8 } from 'node:buffer';
import type { DatasetSpec } from './dataset-spec.js';
import type { RawRecord } from './raw-record.js';
import { fastFeatureRows, fastRankedItems } from './record-shape-fast.js';
import { referenceShape } from './record-shape-reference.js';
import { unservableReason } from './response-limit.js';
import { isBad, type BadRecord, type RecordShape, type ShapedRecord } from './shaped-record.js';

export { isBad, MAX_KEY_LENGTH, type BadRecord, type RecordShape, type ShapedRecord } from './shaped-record.js';

/** The shape a dataset's records take in Redis: ranked items as a JSON array, feature rows as a JSON object. */
export function shapeFor(spec: DatasetSpec, maxRecordBytes?: number, options: { scanner?: boolean } = {}): RecordShape {
  const reference = referenceShape(spec, maxRecordBytes);
  // `scanner: false` leaves only the JSON.parse path: the reference the tests compare against.
  const fast = options.scanner === false ? undefined : spec.kind === 'ranked-items' ? fastRankedItems(spec) : fastFeatureRows(spec);
  const shapeOne = (record: RawRecord): ShapedRecord | BadRecord => {
    if (fast && record.bytes !== null) {
      if (!isUtf8(record.bytes)) return { offset: record.offset, reason: 'record is not valid UTF-8' };
      let shaped: ShapedRecord | null = null;
      try {
        shaped = fast(record.bytes);
      } catch {
        // shape() never throws: whatever went wrong, the JSON.parse path answers
      }
      if (shaped) return shaped;
    }
    return reference(record);
  };
  return {
    shape(record) {
      const shaped = shapeOne(record);
      if (isBad(shaped)) return shaped;
      // What could be stored but never returned is refused here, with the reason.
      const unservable = unservableReason(shaped.value);
      return unservable === null ? shaped : { offset: record.offset, reason: unservable };
    },
  };
}
