// The server settings Sluice relies on. The template's cache parameter group sets them, and every
// local cluster (tests, bench, `sluice up`/`demo`) starts with them, so what is tested is what runs.
import { REDIS_LAYOUT_SETTINGS } from './key-layout.js';

export const REDIS_SERVER_SETTINGS = {
  ...REDIS_LAYOUT_SETTINGS,
  // While a failed master's replica waits to be promoted, the cluster reports itself down and by
  // default every node refuses reads. Reads are safe then: a version's keys never change, the
  // writes were acknowledged by the replicas before the swap, and the reader only moves to a
  // pointer a master confirmed (live-reader.ts). ElastiCache documents this parameter as
  // modifiable (Redis OSS 6.x parameters, default no).
  'cluster-allow-reads-when-down': 'yes',
} as const;
