// The durable side of erasure: one S3 object per erase or unerase call, under
// <ERASURE_LOG_URI prefix><dataset>/<ISO time>-<request id>.json, written before Redis is
// touched. The cache can lose its tombstones; this log is what brings them back (restore).
import { erasureLogFolder, erasureLogKey, parseLogEntry, type ErasureLogEntry } from '../domain/erasure.js';
import type { ObjectStore, ObjectWriter } from './object-store.js';

export interface ErasureLogLocation {
  bucket: string;
  prefix: string;
}

export class ErasureLog {
  constructor(
    private readonly objects: ObjectStore & ObjectWriter,
    readonly location: ErasureLogLocation,
  ) {}

  /** Writes one call's entry; returns its s3:// address. */
  async append(dataset: string, entry: ErasureLogEntry): Promise<string> {
    const key = erasureLogKey(this.location.prefix, dataset, entry);
    await this.objects.put(this.location.bucket, key, JSON.stringify(entry));
    return `s3://${this.location.bucket}/${key}`;
  }

  /** Every entry of the dataset's log, in the order the object names give (time, then request id). */
  async entries(dataset: string): Promise<ErasureLogEntry[]> {
    const { bucket } = this.location;
    const found = [];
    for await (const o of this.objects.list(bucket, erasureLogFolder(this.location.prefix, dataset))) if (o.key.endsWith('.json')) found.push(o);
    found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const out: ErasureLogEntry[] = [];
    for (const o of found) {
      const stream = await this.objects.read(bucket, o.key, o.etag, 0);
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
}
