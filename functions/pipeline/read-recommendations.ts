// The recommendation read API's logic: one user's ranked list, or one rank of it.
import type { LiveReader } from '../adapters/live-reader.js';
import { withoutSuppressedText } from '../domain/suppressed-items.js';
import { StoredJson } from '../domain/stored-json.js';
import { NotFoundError } from '../errors.js';

export interface UserItems {
  userId: string;
  /** The stored list, answered as stored (the loader wrote it as a JSON array), less any suppressed items. */
  items: StoredJson;
  version: string;
}

export interface RankedItem {
  userId: string;
  rank: number;
  item: unknown;
  version: string;
}

/** `pinned`: a version named by the caller instead of the live one. */
export async function userItems(reader: LiveReader, userId: string, pinned?: string): Promise<UserItems> {
  const { version, value, suppressed } = await reader.get(userId, pinned);
  if (value === null) throw new NotFoundError(`no recommendations for user ${userId}`);
  // Suppressed items leave the list and ranks close up (invariant 13); otherwise the stored text as it is.
  return { userId, items: new StoredJson(withoutSuppressedText(value, suppressed)), version };
}

export async function rankedItem(reader: LiveReader, userId: string, rank: number, pinned?: string): Promise<RankedItem> {
  const found = await userItems(reader, userId, pinned);
  const items = found.items.parse() as unknown[];
  const version = found.version;
  if (rank > items.length) throw new NotFoundError(`user ${userId} has ${items.length} recommendations; rank ${rank} is past the end`);
  return { userId, rank, item: items[rank - 1], version };
}
