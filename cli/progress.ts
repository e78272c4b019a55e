// Load progress: a bar redrawn in place on a terminal, plain lines (at most about one a second)
// when the output is a file or a pipe. Counts come from the chunks as they finish, locally from
// the LoadChunk results, in AWS from the execution history.
import type { Writable } from 'node:stream';

export interface PlanInfo {
  dataset: string;
  version: string;
  chunks: number;
  objects: number;
  bytes: number;
}

export const count = (n: number): string => Math.round(n).toLocaleString('en-US');

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = -1;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

const BAR_WIDTH = 24;
const REDRAW_MS = 80;
const LINE_EVERY_MS = 1000;

export class Progress {
  private plan: PlanInfo | null = null;
  private started = 0;
  private done = 0;
  private lastDraw = 0;
  private drawn = false;
  records = 0;
  badRecords = 0;

  constructor(
    private readonly stream: Writable,
    private readonly tty: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  planned(plan: PlanInfo): void {
    this.plan = plan;
    this.started = this.now();
    this.note(`loading version ${plan.version} of ${plan.dataset}: ${count(plan.objects)} object${plan.objects === 1 ? '' : 's'}, ${bytes(plan.bytes)}, ${count(plan.chunks)} chunk${plan.chunks === 1 ? '' : 's'}`);
    this.lastDraw = this.now();
    if (this.tty) this.draw();
  }

  chunkDone(result: { records: number; badRecords: number }): void {
    this.done++;
    this.records += result.records;
    this.badRecords += result.badRecords;
    const now = this.now();
    const last = this.plan !== null && this.done >= this.plan.chunks;
    if (this.tty ? last || now - this.lastDraw >= REDRAW_MS : last || now - this.lastDraw >= LINE_EVERY_MS) {
      this.lastDraw = now;
      this.draw();
    }
  }

  /** A line of its own; on a terminal the bar is cleared first and drawn again below it. */
  note(text: string): void {
    if (this.tty && this.drawn) this.stream.write('\r\x1b[2K');
    this.stream.write(`${text}\n`);
    if (this.tty && this.drawn) this.draw();
  }

  /** Leaves the last state of the bar on screen. */
  finish(): void {
    if (this.tty && this.drawn) {
      this.draw();
      this.stream.write('\n');
      this.drawn = false;
    }
  }

  private draw(): void {
    const total = this.plan?.chunks ?? 0;
    const elapsed = Math.max(1, this.now() - this.started);
    const rate = `${count((this.records * 1000) / elapsed)} records/s`;
    const bad = this.badRecords > 0 ? `, ${count(this.badRecords)} bad` : '';
    const figures = `${count(this.done)}/${count(total)} chunks, ${count(this.records)} records${bad}, ${rate}`;
    if (!this.tty) {
      this.stream.write(`  ${figures}\n`);
      return;
    }
    const filled = total === 0 ? 0 : Math.min(BAR_WIDTH, Math.round((this.done / total) * BAR_WIDTH));
    this.stream.write(`\r\x1b[2K  [${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}] ${figures}`);
    this.drawn = true;
  }
}
