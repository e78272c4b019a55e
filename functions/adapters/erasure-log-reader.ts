// The durable erasure log, read back (restore): every entry of a dataset, in the order the
// object names give (time, then request id). See erasure-log-writer.ts for the layout.
import { erasureLogFolder, parseLogEntry, type ErasureLogEntry } from '../domain/erasure.js';
import type { ErasureLogLocation } from './erasure-log-writer.js';

export async function readErasureLog(log: ErasureLogLocation, dataset: string): Promise<ErasureLogEntry[]> {
  const { bucket, store } = log;
  const found = [];
  for await (const o of store.list(bucket, erasureLogFolder(log.prefix, dataset))) if (o.key.endsWith('.json')) found.push(o);
  found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const out: ErasureLogEntry[] = [];
  for (const o of found) {
    const stream = await store.read(bucket, o.key, o.etag, 0);
    const pieces: Buffer[] = [];
    try {
      for await (const b of stream) pieces.push(b);
    } finally {
      stream.close();
    }
    out.push(parseLogEntry(Buffer.concat(pieces).toString('utf8'), `s3://${bucket}/${o.key}`));
  }
  return out;
}
