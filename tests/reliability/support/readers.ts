// Readers that keep asking the real read handler for users while a fault plays out, and check
// every answer against the version it names: the right items for that version (never a mix),
// a version that is allowed at that moment, and never going back to an older version.
import { recommendations } from '../../../local/sample-data.js';
import { api } from '../../support/sluice.js';

export interface VersionData {
  /** itemBase the version's input was generated with (see local/sample-data.ts). */
  itemBase: number;
  order: number;
  /** Generated with scored items. */
  scored?: boolean;
}

interface ReaderStats {
  answers: number;
  ok: number;
  /** Non-200 answers by status and code, e.g. "503 unavailable". */
  failures: Record<string, number>;
  /** Times (epoch ms) of the first and last failure. */
  failedFrom?: number;
  failedUntil?: number;
  wrong: string[];
  backwards: number;
  byVersion: Record<string, number>;
}

export interface Readers {
  stats: ReaderStats;
  /** Stops the loops and waits for them. */
  stop(): Promise<ReaderStats>;
}

export function startReaders(opts: { users: number; itemsPerUser?: number; versions: Record<string, VersionData>; concurrency?: number; maxMs?: number; maxRequests?: number }): Readers {
  const expected = new Map<string, string[]>();
  for (const [version, data] of Object.entries(opts.versions)) {
    expected.set(version, [...recommendations({ users: opts.users, itemsPerUser: opts.itemsPerUser ?? 5, itemBase: data.itemBase, scored: data.scored })].map((r) => JSON.stringify(r.items)));
  }
  const stats: ReaderStats = { answers: 0, ok: 0, failures: {}, wrong: [], backwards: 0, byVersion: {} };
  const deadline = Date.now() + (opts.maxMs ?? 120_000);
  const maxRequests = opts.maxRequests ?? 2_000_000;
  let running = true;
  const loop = async (seed: number) => {
    let newest = -1;
    for (let i = seed; running && Date.now() < deadline && stats.answers < maxRequests; i += 7919) {
      const u = i % opts.users;
      const a = await api(`/users/u${u}/recommendations`);
      stats.answers++;
      if (a.status !== 200) {
        const kind = `${a.status} ${(a.body.error as { code?: string } | undefined)?.code ?? '?'}`;
        stats.failures[kind] = (stats.failures[kind] ?? 0) + 1;
        stats.failedFrom ??= Date.now();
        stats.failedUntil = Date.now();
        continue;
      }
      stats.ok++;
      const version = String(a.body.version);
      stats.byVersion[version] = (stats.byVersion[version] ?? 0) + 1;
      const want = expected.get(version)?.[u];
      if (want === undefined || JSON.stringify(a.body.items) !== want) {
        if (stats.wrong.length < 20) stats.wrong.push(`u${u}@${version}: ${JSON.stringify(a.body.items).slice(0, 80)}`);
        continue;
      }
      const order = opts.versions[version]!.order;
      if (order < newest) stats.backwards++;
      newest = Math.max(newest, order);
    }
  };
  const loops = Array.from({ length: opts.concurrency ?? 8 }, (_, k) => loop(k * 104_729 + 1));
  return {
    stats,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return stats;
    },
  };
}
