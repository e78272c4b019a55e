// The correction log on the dataset's control slot (see domain/corrections.ts and
// correction-scripts.ts): a hash of entries by record key, a sorted set of their times, and a
// generation counter that every put moves on.
import type { Cluster } from 'ioredis';
import type { CorrectedKeys, CorrectionEntry, CorrectionLog, CorrectionLogSummary, CorrectionTarget, LoggedPut } from '../domain/corrections.js';
import { controlKeys, correctionKeys, type CorrectionKeys } from '../domain/key-layout.js';
import { ErasedKeysError } from '../errors.js';
import { correctionListText, ListedKeys } from '../domain/key-set.js';
import { readList, staleGeneration, storeList, type ListKeys } from './key-lists.js';
import { guardRedis } from './redis-errors.js';
import * as lua from './correction-scripts.js';

/** Entries per HSCAN page while replaying. */
const PAGE = 5000;

/** Substituted keys recorded per HSET (markSubstituted). */
const MARKS_PER_CALL = 1000;

/** Marks of a version whose load never finished (its Commit drops them otherwise). */
const SUBSTITUTED_TTL_SECONDS = 2 * 24 * 3600;

export class CorrectionStore implements CorrectionLog {
  private readonly keys: CorrectionKeys;
  private readonly versions: string;
  private readonly current: string;
  private readonly versionPrefix: string;
  private readonly tombstones: string;
  /** The log's key list (key-lists.ts). */
  private readonly list: ListKeys;
  /** The last correctedKeys() answer: reused while the generation and minAt are the same (one GET per chunk). */
  private corrected: (CorrectedKeys & { minAt: number }) | null = null;

  constructor(
    private readonly redis: Cluster,
    readonly dataset: string,
  ) {
    this.keys = correctionKeys(dataset);
    const control = controlKeys(dataset);
    this.versions = control.versions;
    this.current = control.current;
    this.versionPrefix = control.version('');
    this.tombstones = control.tombstones;
    this.list = { generation: this.keys.gen, listGeneration: this.keys.listGen, list: this.keys.list, set: this.keys.log };
  }

  async log(entries: readonly { key: string; value: string }[], at: number, requestId: string): Promise<LoggedPut | null> {
    // Each entry is `{"gen":N,"at":..,"requestId":".."}` and, after a newline, the value as stored
    // (not escaped into the JSON: a replay of 100k entries parses only the small header). The
    // script puts the generation in front.
    const tail = JSON.stringify({ at, requestId }).slice(1);
    const pairs = entries.flatMap((e) => [e.key, `${tail}\n${e.value}`]);
    const [gen, flat] = (await guardRedis(
      this.redis.eval(lua.LOG_PUT, 10, this.keys.log, this.keys.at, this.keys.gen, this.current, this.versions, this.keys.fence, this.tombstones, this.keys.bygen, this.keys.list, this.keys.listGen, this.versionPrefix, String(at), ...pairs),
    )) as [number, string[]];
    if (Number(gen) === -1) {
      const named = flat.slice(0, 10).join(', ') + (flat.length > 10 ? `, ... (${flat.length} in all)` : '');
      throw new ErasedKeysError(`put to dataset ${this.dataset} refused, nothing was written: ${flat.length} of its keys are erased (${named}); erasure wins over corrections until the key is unerased`, flat);
    }
    if (Number(gen) === 0) return null;
    const targets: CorrectionTarget[] = [];
    for (let i = 0; i < flat.length; i += 2) targets.push({ version: flat[i]!, buckets: Number(flat[i + 1]) });
    return { gen: Number(gen), targets };
  }

  async fence(version: string, ttlMs: number): Promise<number> {
    return Number(await guardRedis(this.redis.eval(lua.FENCE, 2, this.keys.gen, this.keys.fence, version, String(ttlMs))));
  }

  async unfence(version: string): Promise<void> {
    await guardRedis(this.redis.eval(lua.UNFENCE, 1, this.keys.fence, version));
  }

  async generation(): Promise<number> {
    return Number((await guardRedis(this.redis.get(this.keys.gen))) ?? 0);
  }

  async *entries(): AsyncIterable<CorrectionEntry[]> {
    // The next page is asked for before this one is parsed and handed over: the caller's writes
    // and the next HSCAN's round trip overlap.
    const scan = (cursor: string) => guardRedis(this.redis.hscan(this.keys.log, cursor, 'COUNT', PAGE));
    let pending: Promise<[string, string[]]> | null = scan('0');
    try {
      while (pending) {
        const [next, flat]: [string, string[]] = await pending;
        pending = next === '0' ? null : scan(next);
        const page: CorrectionEntry[] = [];
        for (let i = 0; i < flat.length; i += 2) page.push(parseEntry(flat[i]!, flat[i + 1]!));
        if (page.length > 0) yield page;
      }
    } finally {
      // A caller that stopped early (or failed) leaves a page in flight: its outcome is not wanted.
      pending?.catch(() => undefined);
    }
  }

  async trim(windowMs: number): Promise<number> {
    return Number(await guardRedis(this.redis.eval(lua.TRIM, 5, this.keys.log, this.keys.at, this.versions, this.keys.bygen, this.keys.listGen, String(windowMs))));
  }

  async correctedKeys(minAt: number): Promise<CorrectedKeys> {
    const current = await this.generation();
    if (this.corrected?.gen === current && this.corrected.minAt === minAt) return this.corrected;
    const { generation, text } = await readList(this.redis, this.list);
    // Every logged key with its time, in the order logged (a key's last entry counts): from the list
    // the put script keeps (key-lists.ts), or from the time index when it is stale (then stored again).
    const keys = ListedKeys.corrections(text ?? (await this.listAndStore(generation)), minAt);
    // A list that re-puts made twice as long as the log is stored again compacted.
    if (generation !== '' && text !== null && keys.listed > 2 * keys.distinctKeys + 1000) await storeList(this.redis, this.list, generation, correctionListText(keys.entries()));
    this.corrected = { gen: Number(generation || 0), minAt, keys };
    return this.corrected;
  }

  async refreshKeyList(): Promise<void> {
    const generation = await staleGeneration(this.redis, this.list);
    if (generation !== null) await this.listAndStore(generation);
  }

  /**
   * Every logged key and its time from the time index as a list's text, stored again at
   * `generation` ('': never). Read after the generation: these entries hold at least its puts.
   */
  private async listAndStore(generation: string): Promise<string> {
    const text = correctionListText(pairs(await guardRedis(this.redis.zrange(this.keys.at, '0', '-1', 'WITHSCORES'))));
    if (generation !== '') await storeList(this.redis, this.list, generation, text);
    return text;
  }

  async entriesOf(keys: readonly string[]): Promise<(CorrectionEntry | null)[]> {
    if (keys.length === 0) return [];
    const texts = await guardRedis(this.redis.hmget(this.keys.log, ...keys));
    return texts.map((text, i) => (text === null ? null : parseEntry(keys[i]!, text)));
  }

  async markSubstituted(version: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const marks = this.keys.substituted(version);
    // One round trip: HSETs of MARKS_PER_CALL fields each (short steps on the control master), pipelined.
    const pipeline = this.redis.pipeline();
    for (let i = 0; i < keys.length; i += MARKS_PER_CALL) pipeline.hset(marks, ...keys.slice(i, i + MARKS_PER_CALL).flatMap((k) => [k, '1']));
    const replies = await guardRedis(pipeline.expire(marks, SUBSTITUTED_TTL_SECONDS).exec());
    const failed = replies?.find(([err]) => err)?.[0];
    if (failed) throw failed;
  }

  async *unsubstituted(version: string, minAt: number, afterGen: number): AsyncIterable<{ entries: CorrectionEntry[]; superseded: number }> {
    // The common case by counts: while the generation is still the one every chunk read, the log
    // is the one they saw (puts and erases move it; a trim drops only entries older than minAt),
    // so the marked keys are among the applying ones, and as many of them means all. Read in this
    // order on one connection: a put or erase after the GET moves the generation past the one the
    // caller read first, and its swap is then refused.
    const counts = (await guardRedis(this.redis.pipeline().get(this.keys.gen).zcount(this.keys.at, String(minAt), '+inf').hlen(this.keys.substituted(version)).hlen(this.keys.log).exec())) ?? [];
    const [gen, applyingCount, markedCount, logLength] = counts.map(([err, value]) => {
      if (err) throw err;
      return Number(value ?? 0);
    });
    if (gen === afterGen && applyingCount === markedCount) {
      yield { entries: [], superseded: Math.max(0, logLength! - applyingCount!) };
      return;
    }
    // Key lists only (no values): the applying keys less the marked ones are the additions; the
    // generation index names the late puts. Only their entries are read. Puts or erases during
    // these reads move the generation, which the caller read first: its swap is then refused.
    const [applying, marked, late, length] = await guardRedis(
      Promise.all([
        this.redis.zrangebyscore(this.keys.at, String(minAt), '+inf'),
        this.redis.hkeys(this.keys.substituted(version)),
        this.redis.zrangebyscore(this.keys.bygen, `(${afterGen}`, '+inf'),
        this.redis.hlen(this.keys.log),
      ]),
    );
    const done = new Set(marked);
    const wanted = new Set<string>();
    for (const k of applying) if (!done.has(k)) wanted.add(k);
    const applies = new Set(applying);
    for (const k of late) if (applies.has(k)) wanted.add(k);
    let superseded = Math.max(0, length - applying.length);
    const keys = [...wanted];
    for (let i = 0; i < keys.length || i === 0; i += PAGE) {
      const entries = (await this.entriesOf(keys.slice(i, i + PAGE))).filter((e): e is CorrectionEntry => e !== null);
      yield { entries, superseded };
      superseded = 0;
    }
  }

  async dropSubstituted(version: string): Promise<void> {
    await guardRedis(this.redis.unlink(this.keys.substituted(version)));
  }

  async summary(): Promise<CorrectionLogSummary> {
    const [length, oldest] = await guardRedis(Promise.all([this.redis.hlen(this.keys.log), this.redis.zrange(this.keys.at, '0', '0', 'WITHSCORES')]));
    return { length, oldestAt: oldest.length === 2 ? Number(oldest[1]) : null };
  }
}

/** [member, score] of a ZRANGE WITHSCORES reply. */
function* pairs(flat: readonly string[]): Iterable<[string, number]> {
  for (let i = 0; i < flat.length; i += 2) yield [flat[i]!, Number(flat[i + 1])];
}

/**
 * An entry's text: `{"gen":N,"at":T,"requestId":"..."}`, a newline, the stored value. The
 * header is read by position (a replay reads 100k of them: a JSON.parse each cost as much as
 * writing the entry); one that is not in exactly that form is parsed as JSON. The value, ~100x
 * longer, is only sliced off.
 */
export function parseEntry(key: string, text: string): CorrectionEntry {
  const cut = text.indexOf('\n');
  const atFrom = text.indexOf(',"at":');
  const idFrom = text.indexOf(',"requestId":"', atFrom);
  if (text.startsWith('{"gen":') && atFrom > 0 && idFrom > 0 && idFrom < cut && text.charCodeAt(cut - 2) === 34 && text.charCodeAt(cut - 1) === 125) {
    const gen = Number(text.slice(7, atFrom));
    const at = Number(text.slice(atFrom + 6, idFrom));
    const rawId = text.slice(idFrom + 14, cut - 2);
    // A request id with an escape in it is decoded as JSON; ids are plain text in practice.
    const requestId = rawId.includes('\\') || rawId.includes('"') ? (JSON.parse(`"${rawId}"`) as string) : rawId;
    if (Number.isFinite(gen) && Number.isFinite(at)) return { key, value: text.slice(cut + 1), at, requestId, gen };
  }
  const e = JSON.parse(text.slice(0, cut)) as Pick<CorrectionEntry, 'at' | 'requestId' | 'gen'>;
  return { key, value: text.slice(cut + 1), at: Number(e.at), requestId: e.requestId, gen: Number(e.gen) };
}
