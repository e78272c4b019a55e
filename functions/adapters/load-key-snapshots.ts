// A load's key snapshot in Redis: one string on the control slot beside the version, a line of
// JSON (the key lists and their generations) and then the filter's bits. A chunk container reads
// it with one GET instead of listing every tombstone (HKEYS) and every corrected key
// (ZRANGEBYSCORE) itself on the control slot's master, which also answers the readers' pointer
// refreshes: with a million tombstones and 40 containers that was 40 listings of a million keys
// at the start of each load. It expires on its own; a chunk without it lists the keys itself.
import type { Cluster } from 'ioredis';
import { controlKeys, type ControlKeys } from '../domain/key-layout.js';
import type { LoadKeys, LoadKeySnapshots } from '../domain/load-keys.js';
import { guardRedis } from './redis-errors.js';

/** Long enough for any load; the snapshot only saves work, so an expired one costs a listing. */
const TTL_SECONDS = 2 * 24 * 3600;
const NEWLINE = 10;

export class RedisLoadKeySnapshots implements LoadKeySnapshots {
  private readonly keys: ControlKeys;

  constructor(
    private readonly redis: Cluster,
    dataset: string,
  ) {
    this.keys = controlKeys(dataset);
  }

  async save(version: string, snapshot: LoadKeys): Promise<void> {
    // JSON escapes every newline inside the key strings: the first newline ends the header.
    const header = Buffer.from(`${JSON.stringify({ tombstones: snapshot.tombstones, corrections: snapshot.corrections })}\n`);
    // The filter's words in the machine's byte order: Plan and the chunks run on the same architecture.
    const bits = Buffer.from(snapshot.filter.buffer, snapshot.filter.byteOffset, snapshot.filter.byteLength);
    await guardRedis(this.redis.set(this.keys.loadKeys(version), Buffer.concat([header, bits]), 'EX', TTL_SECONDS));
  }

  async load(version: string): Promise<LoadKeys | null> {
    const raw = await guardRedis(this.redis.getBuffer(this.keys.loadKeys(version)));
    if (!raw) return null;
    const end = raw.indexOf(NEWLINE);
    if (end < 0 || (raw.length - end - 1) % 4 !== 0) return null;
    const { tombstones, corrections } = JSON.parse(raw.toString('utf8', 0, end)) as Omit<LoadKeys, 'filter'>;
    // Copied into a buffer of its own: the reply's bytes need not be aligned for 32-bit words.
    const filter = new Uint32Array((raw.length - end - 1) / 4);
    Buffer.from(filter.buffer).set(raw.subarray(end + 1));
    return { tombstones, corrections, filter };
  }
}
