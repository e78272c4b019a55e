// A load asks of every record whether its key is erased or corrected. With 100k keys in such a
// set, a Set lookup of a key the parser has just sliced out cost ~1 us per record in the load's
// profile (cache misses on a large table while the chunk churns through memory), and a miss is
// the common case. A filter on the key's FNV hash, which the record's bucket needs anyway,
// answers most misses from one word: each slot holds two bits, "maybe erased" and "maybe
// corrected", so a key is looked up only in the set its bit names. No false negatives: every key
// of a set has its bit set.
import type { KeySet } from './key-set.js';

export const MAYBE_ERASED = 1;
export const MAYBE_CORRECTED = 2;

/** Slots per key: at 16 about 1 in 16 x (share of keys in the set) absent keys is looked up. */
const SLOTS_PER_KEY = 16;
const MIN_SLOTS = 1 << 10;
/** 2^24 slots (4 MiB): beyond ~1M keys more absent keys are looked up, and the answer stays right. */
const MAX_SLOTS = 1 << 24;

export class KeyFilter {
  /** 16 slots of 2 bits per word. */
  private readonly words: Uint32Array;
  /** A slot's index is the top 32 - shift bits of the mixed hash. */
  private readonly shift: number;

  private constructor(erased: KeySet, corrected: KeySet) {
    const n = slotsFor(erased.size + corrected.size);
    this.shift = 32 - Math.log2(n);
    this.words = new Uint32Array(n / 16);
    this.add(erased, MAYBE_ERASED);
    this.add(corrected, MAYBE_CORRECTED);
  }

  /**
   * The filter over the erased and the corrected keys; null when both are empty. Built once per
   * pair of set objects: the stores hand out the same set while it is current, so a container
   * builds it once per erase or put.
   */
  static of(erased: KeySet, corrected: KeySet): KeyFilter | null {
    if (erased.size === 0 && corrected.size === 0) return null;
    const byCorrected = builtFor(erased);
    let filter = byCorrected.get(corrected);
    if (!filter) byCorrected.set(corrected, (filter = new KeyFilter(erased, corrected)));
    return filter;
  }

  /** MAYBE_ERASED and/or MAYBE_CORRECTED; 0: in neither set. `hash` must be keyHash(key). */
  probe(hash: number): number {
    const i = slotOf(hash, this.shift);
    return (this.words[i >>> 4]! >>> ((i & 15) << 1)) & 3;
  }

  private add(keys: KeySet, bit: number): void {
    for (const hash of keys.hashes()) {
      const i = slotOf(hash, this.shift);
      this.words[i >>> 4]! |= bit << ((i & 15) << 1);
    }
  }
}

function slotsFor(keys: number): number {
  let n = MIN_SLOTS;
  while (n < keys * SLOTS_PER_KEY && n < MAX_SLOTS) n *= 2;
  return n;
}

/**
 * A filter's slot for a 32-bit hash: its top 32 - shift bits after a multiplicative mix (FNV's
 * low bits pick a record's bucket, so a slot takes other bits, spread).
 */
export function slotOf(hash: number, shift: number): number {
  return Math.imul(hash, 0x9e3779b1) >>> shift;
}

const built = new WeakMap<KeySet, WeakMap<KeySet, KeyFilter>>();

/** The filters built over this set of erased keys, by the set of corrected keys. */
function builtFor(erased: KeySet): WeakMap<KeySet, KeyFilter> {
  let byCorrected = built.get(erased);
  if (!byCorrected) built.set(erased, (byCorrected = new WeakMap()));
  return byCorrected;
}
