// The durable side of erasure, written: one S3 object per erase or unerase call, under
// <ERASURE_LOG_URI prefix><dataset>/<ISO time>-<request id>.json, before Redis is touched.
// (Reading it back is erasure-log-reader.ts: a separate module, so the functions that only
// restore are not taken to write, tests/unit/template-iam.test.ts.)
import { erasureLogKey, type ErasureLogEntry } from '../domain/erasure.js';
import type { ObjectStore, ObjectWriter } from './object-store.js';

/** Where the log is, and the store that reaches it (the runtime's S3 client). */
export interface ErasureLogLocation {
  store: ObjectStore & ObjectWriter;
  bucket: string;
  prefix: string;
}

/** Writes one call's entry; returns its s3:// address. */
export async function appendErasureLog(log: ErasureLogLocation, dataset: string, entry: ErasureLogEntry): Promise<string> {
  const key = erasureLogKey(log.prefix, dataset, entry);
  await log.store.put(log.bucket, key, JSON.stringify(entry));
  return `s3://${log.bucket}/${key}`;
}
