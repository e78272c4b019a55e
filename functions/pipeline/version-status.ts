// What an operator asks first: which version is live, and which versions the dataset still
// holds, with their order keys, record counts, load times and states. Read-only.
import type { VersionRecord } from '../domain/version-repository.js';
import type { CheckResult } from '../domain/release-checks.js';
import type { VersionStatus } from '../domain/version-lifecycle.js';
import type { PipelineDeps } from './deps.js';

export interface VersionReport {
  version: string;
  /** The stored status, except 'stale': loading, but nothing has heartbeaten for it (its process stopped). */
  status: VersionStatus | 'stale';
  live: boolean;
  orderKey: number;
  source?: string;
  origin?: string;
  objects?: number;
  bytes?: number;
  chunks?: number;
  /** Loading versions: chunks that have reported a result so far. */
  chunksDone?: number;
  records?: number;
  badRecords?: number;
  /** ISO-8601 times. */
  createdAt?: string;
  /** When the load finished (its first swap); a rollback does not change it. */
  loadedAt?: string;
  /** When it last became live. */
  liveSince?: string;
  supersededAt?: string;
  failedAt?: string;
  /** Loading and stale versions: the last heartbeat of its workers. */
  heartbeatAt?: string;
  /** Held versions: since when, why ('checks-failed' or 'manual-approval'), and the checks that failed. */
  heldAt?: string;
  heldReason?: string;
  failedChecks?: Pick<CheckResult, 'name' | 'value' | 'threshold' | 'detail'>[];
  /** Every release check the version's commit ran (live, retained and held versions): value, threshold, outcome. */
  checks?: CheckResult[];
  /** From registration to the end of the load. */
  loadSeconds?: number;
  error?: string;
}

export interface DatasetStatus {
  dataset: string;
  live: { version: string; orderKey: number } | null;
  /** Versions holding data, newest order key first. */
  versions: VersionReport[];
  /** Erased keys (tombstones) and suppressed items of the dataset. */
  tombstones: number;
  suppressedItems: number;
  /** The correction log (puts): how many entries, and the oldest one's time (ISO-8601). */
  corrections?: { length: number; oldest: string | null };
}

type StatusDeps = Pick<PipelineDeps, 'dataset' | 'versions' | 'erasures'> & Partial<Pick<PipelineDeps, 'corrections'>>;

export async function datasetStatus(deps: StatusDeps): Promise<DatasetStatus> {
  const pointer = await deps.versions.current();
  const records = await deps.versions.list();
  // The live version is always in the sorted set; read it directly should the two disagree.
  if (pointer && !records.some((r) => r.id === pointer.version)) {
    const live = await deps.versions.get(pointer.version);
    if (live) records.push(live);
  }
  const versions: VersionReport[] = [];
  for (const r of records.sort((a, b) => b.orderKey - a.orderKey)) {
    const report = toReport(r, r.id === pointer?.version);
    if (r.status === 'loading') report.chunksDone = (await deps.versions.chunkResults(r.id)).length;
    versions.push(report);
  }
  const status: DatasetStatus = {
    dataset: deps.dataset,
    live: pointer ? { version: pointer.version, orderKey: pointer.orderKey } : null,
    versions,
    tombstones: await deps.erasures.tombstoneCount(),
    suppressedItems: await deps.erasures.suppressedCount(),
  };
  if (deps.corrections) {
    const log = await deps.corrections.summary();
    status.corrections = { length: log.length, oldest: log.oldestAt === null ? null : new Date(log.oldestAt).toISOString() };
  }
  return status;
}

function num(fields: Record<string, string>, name: string): number | undefined {
  const v = fields[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function time(fields: Record<string, string>, name: string): string | undefined {
  const ms = num(fields, name);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

function allChecks(raw: string | undefined): CheckResult[] | undefined {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as CheckResult[];
  } catch {
    return undefined;
  }
}

function failedChecks(raw: string | undefined): VersionReport['failedChecks'] {
  return allChecks(raw)
    ?.filter((c) => c.outcome === 'fail')
    .map(({ name, value, threshold, detail }) => ({ name, value, threshold, detail }));
}

function toReport(r: VersionRecord, live: boolean): VersionReport {
  const f = r.fields;
  // A rollback stamps committedAt again; loadedAt keeps the end of the original load.
  const loadedMs = num(f, 'loadedAt') ?? num(f, 'committedAt');
  const createdMs = num(f, 'createdAt');
  const report: VersionReport = {
    version: r.id,
    status: r.status === 'loading' && r.stale ? 'stale' : r.status,
    live,
    orderKey: r.orderKey,
    source: f.source,
    origin: f.origin,
    objects: num(f, 'objects'),
    bytes: num(f, 'bytes'),
    chunks: num(f, 'chunks'),
    records: num(f, 'records'),
    badRecords: num(f, 'badRecords'),
    createdAt: time(f, 'createdAt'),
    loadedAt: loadedMs === undefined ? undefined : new Date(loadedMs).toISOString(),
    liveSince: live ? time(f, 'committedAt') : undefined,
    supersededAt: time(f, 'supersededAt'),
    failedAt: time(f, 'failedAt'),
    heartbeatAt: r.status === 'loading' ? time(f, 'heartbeatAt') : undefined,
    heldAt: time(f, 'heldAt'),
    heldReason: r.status === 'held' ? f.heldReason : undefined,
    failedChecks: r.status === 'held' ? failedChecks(f.checks) : undefined,
    checks: allChecks(f.checks),
    loadSeconds: loadedMs !== undefined && createdMs !== undefined ? Math.max(0, loadedMs - createdMs) / 1000 : undefined,
    error: f.error,
  };
  // Leave out what this version does not have, so the JSON stays readable.
  for (const key of Object.keys(report) as (keyof VersionReport)[]) if (report[key] === undefined) delete report[key];
  return report;
}
