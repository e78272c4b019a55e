// The recommendation read API's logic: one user's ranked list, or one rank of it.
import type { LiveReader } from '../adapters/live-reader.js';
import { NotFoundError } from '../errors.js';

export interface UserItems {
  userId: string;
  items: unknown[];
  version: string;
}

export interface RankedItem {
  userId: string;
  rank: number;
  item: unknown;
  version: string;
}

export async function userItems(reader: LiveReader, userId: string): Promise<UserItems> {
  const { version, value } = await reader.get(userId);
  if (value === null) throw new NotFoundError(`no recommendations for user ${userId}`);
  return { userId, items: JSON.parse(value) as unknown[], version };
}

export async function rankedItem(reader: LiveReader, userId: string, rank: number): Promise<RankedItem> {
  const { items, version } = await userItems(reader, userId);
  if (rank > items.length) throw new NotFoundError(`user ${userId} has ${items.length} recommendations; rank ${rank} is past the end`);
  return { userId, rank, item: items[rank - 1], version };
}
