// A load's chunk writes the logged correction of a key it holds instead of the batch's record, so
// the Commit has only what no chunk wrote left to replay (replay-corrections.ts). The records of
// corrected keys are held back and their log entries read in groups, a few in flight while the
// chunk reads on, then written: a correction costs no HSET of its own and no round trip per
// batch. The chunk's statistics and counts stay the batch's; only the value written differs.
import type { BulkWriter, HsetCommand } from '../domain/bulk-writer.js';
import type { CorrectionLog } from '../domain/corrections.js';
import type { KeySet } from '../domain/key-set.js';
import type { PipelineDeps } from './deps.js';
import { windowOf } from './replay-corrections.js';

/** Log entries read per HMGET. */
const GROUP = 500;

/** Groups read and written at once: the chunk reads on meanwhile, and memory stays bounded. */
const GROUPS_IN_FLIGHT = 4;

export class Substitution {
  /** Keys written with their correction (a key twice in the chunk is here twice). */
  private readonly written: string[] = [];
  private held: HsetCommand[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  private constructor(
    private readonly log: CorrectionLog,
    private readonly version: string,
    /** The log's generation read before `corrected`: puts after it are the Commit's. */
    private readonly gen: number,
    /** The keys whose logged corrections apply to this version. */
    readonly corrected: KeySet,
    /** Corrections logged at or after this time apply (the version's order key minus the rewind window). */
    private readonly minAt: number,
    private readonly writer: BulkWriter,
  ) {}

  /** Null without a correction log (unit tests) or a version record. The keys are cached per container while the log's generation stands. */
  static async start(deps: Pick<PipelineDeps, 'corrections' | 'versions' | 'spec'>, version: string, writer: BulkWriter): Promise<Substitution | null> {
    if (!deps.corrections) return null;
    const meta = await deps.versions.get(version);
    if (!meta) return null;
    const minAt = meta.orderKey - windowOf(deps);
    const { gen, keys } = await deps.corrections.correctedKeys(minAt);
    return new Substitution(deps.corrections, version, gen, keys, minAt, writer);
  }

  /**
   * Holds back a batch's records of keys in `corrected` (an entry erased or trimmed since is not
   * found, and the batch's record stays); waits only while full groups' entries are still being read.
   */
  async hold(commands: readonly HsetCommand[]): Promise<void> {
    for (const command of commands) {
      this.held.push(command);
      if (this.held.length >= GROUP) await this.send();
    }
  }

  /** Writes what is held and records the keys written with their correction; returns the chunk's report. */
  async finish(): Promise<{ gen: number; substituted: number }> {
    await this.send();
    await Promise.all(this.inFlight);
    await this.log.markSubstituted(this.version, this.written);
    return { gen: this.gen, substituted: this.written.length };
  }

  /** A chunk that failed: lets the group in flight land (or fail), so nothing is written after it reports. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.inFlight);
  }

  private async send(): Promise<void> {
    const group = this.held;
    this.held = [];
    if (group.length > 0) {
      const sent = this.substitute(group).finally(() => this.inFlight.delete(sent));
      this.inFlight.add(sent);
      sent.catch(() => undefined); // surfaced by finish() (or the wait below)
    }
    while (this.inFlight.size >= GROUPS_IN_FLIGHT) await Promise.race(this.inFlight);
  }

  /** An entry gone since the keys were read (erased, or trimmed) leaves the batch's record. */
  private async substitute(group: HsetCommand[]): Promise<void> {
    const entries = await this.log.entriesOf(group.map((c) => c.field));
    entries.forEach((entry, i) => {
      if (!entry || entry.at < this.minAt) return;
      group[i]!.value = entry.value;
      this.written.push(entry.key);
    });
    await this.writer.write(group);
  }
}
