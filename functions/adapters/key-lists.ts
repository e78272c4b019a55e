// The tombstoned keys and the logged correction keys, each also kept as one string on the control
// slot: the erase, restore and put scripts append to it as they change the sets (erasure-scripts.ts,
// correction-scripts.ts). Each chunk container of a load reads it with one GET-sized reply where
// HKEYS or ZRANGEBYSCORE of 100k keys cost ~120 ms of client CPU each (ioredis decodes every
// element of an array reply on its own) and tens of ms on the control master.
//
// A list is trusted only when its own generation equals the set's generation, read in the same
// script. Every change to a set moves that set's generation; only the scripts that append move the
// list's generation with it. So a change that does not keep the list (an unerase, a trim, an
// erase that drops corrections, anything added later) leaves it stale, and the next
// reader rebuilds it from the set (storing it only if the generation has not moved meanwhile).
// Nothing has to remember to keep it: forgetting costs a rebuild, never a missing key. A load's
// Plan rebuilds a stale list before the chunks start, so that they do not each list the set.
//
// Text (written and read by domain/key-set.ts): entries each preceded by a comma, every key a JSON
// string, so "[" + text.slice(1) + "]" is a JSON array. Tombstones: `,"k1","k2"`; corrections: `,"k1",at1,"k2",at2` (a key put
// again appears again; the last entry is the one the log holds, as ZADD overwrote it).
import type { Cluster } from 'ioredis';
import { guardRedis } from './redis-errors.js';

/**
 * KEYS: generation, list generation, list, the set. ARGV: 'text' or 'check'. Returns {generation
 * or '', the list's text (or 1 for 'check') if exact at it, else false}. A list missing while the
 * set is not empty (lost, not emptied) is stale too.
 */
const READ = `
local gen = redis.call('GET', KEYS[1])
if not gen then return {'', false} end
if redis.call('GET', KEYS[2]) ~= gen then return {gen, false} end
local missing = redis.call('EXISTS', KEYS[3]) == 0
if missing and redis.call('EXISTS', KEYS[4]) == 1 then return {gen, false} end
if ARGV[1] == 'check' then return {gen, 1} end
if missing then return {gen, ''} end
return {gen, redis.call('GET', KEYS[3])}
`;

/** KEYS: generation, list generation, list. ARGV: the generation the text was read at, text. */
const STORE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[3], ARGV[2])
redis.call('SET', KEYS[2], ARGV[1])
return 1
`;

export interface ListKeys {
  generation: string;
  listGeneration: string;
  list: string;
  /** The set the list is of (the tombstones hash, the correction log hash). */
  set: string;
}

/**
 * The generation ('' when the set has never changed: it is empty) and the list's text, or null
 * when the list is not exact at that generation (the caller rebuilds it).
 */
export async function readList(redis: Cluster, keys: ListKeys): Promise<{ generation: string; text: string | null }> {
  const [generation, text] = (await guardRedis(redis.eval(READ, 4, keys.generation, keys.listGeneration, keys.list, keys.set, 'text'))) as [string, string | null];
  return { generation, text: text ?? null };
}

/**
 * The generation at which the list is stale, or null when it is exact (or the set has no
 * generation: then there is nothing to store it at). Costs no transfer of the list.
 */
export async function staleGeneration(redis: Cluster, keys: ListKeys): Promise<string | null> {
  const [generation, exact] = (await guardRedis(redis.eval(READ, 4, keys.generation, keys.listGeneration, keys.list, keys.set, 'check'))) as [string, number | null];
  return generation !== '' && exact === null ? generation : null;
}

/** Stores a rebuilt list, if the set is still at `generation` (else a later reader rebuilds it). */
export async function storeList(redis: Cluster, keys: ListKeys, generation: string, text: string): Promise<void> {
  await guardRedis(redis.eval(STORE, 3, keys.generation, keys.listGeneration, keys.list, generation, text));
}
