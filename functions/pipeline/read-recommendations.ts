// The recommendation read API's logic: one user's ranked list, or one rank of it.
import type { LiveReader } from '../adapters/live-reader.js';
import { StoredJson } from '../domain/stored-json.js';
import { NotFoundError } from '../errors.js';

export interface UserItems {
  userId: string;
  /** The stored list, answered as stored: the loader wrote it as a JSON array. */
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
  const { version, value } = await reader.get(userId, pinned);
  if (value === null) throw new NotFoundError(`no recommendations for user ${userId}`);
  return { userId, items: new StoredJson(value), version };
}

export async function rankedItem(reader: LiveReader, userId: string, rank: number, pinned?: string): Promise<RankedItem> {
  const found = await userItems(reader, userId, pinned);
  const items = found.items.parse() as unknown[];
  const version = found.version;
  if (rank > items.length) throw new NotFoundError(`user ${userId} has ${items.length} recommendations; rank ${rank} is past the end`);
  return { userId, rank, item: items[rank - 1], version };
}
