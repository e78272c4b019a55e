// Rows of the benchmark table and their Markdown. Every row is a median over repetitions with
// min and max; a ratio row compares two medians measured in the same run.
import type { Summary } from './stats.js';

export interface Row {
  section: string;
  name: string;
  unit: string;
  summary: Summary;
  digits?: number;
  /** Against a baseline measured in the same run. */
  ratio?: { value: number; vs: string };
  target?: { text: string; met: boolean };
}

const fmt = (v: number, digits = 0): string =>
  Number.isFinite(v) ? v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';

export function ratioOf(a: Summary, b: Summary): number {
  return a.median / b.median;
}

export function markdownTable(rows: readonly Row[]): string {
  const out: string[] = [];
  let section = '';
  for (const r of rows) {
    if (r.section !== section) {
      section = r.section;
      out.push('', `**${section}**`, '', '| Measurement | Median | Min | Max | Unit | Ratio (same run) | Target |', '| --- | ---: | ---: | ---: | --- | --- | --- |');
    }
    const d = r.digits ?? 0;
    const ratio = r.ratio ? `${r.ratio.value.toFixed(2)} × ${r.ratio.vs}` : '';
    const target = r.target ? `${r.target.text} ${r.target.met ? '✅ met' : '❌ missed'}` : '';
    out.push(`| ${r.name} | ${fmt(r.summary.median, d)} | ${fmt(r.summary.min, d)} | ${fmt(r.summary.max, d)} | ${r.unit} | ${ratio} | ${target} |`);
  }
  return out.join('\n').trim();
}

/** The same table as plain text for the terminal. */
export function textTable(rows: readonly Row[]): string {
  const lines: string[] = [];
  let section = '';
  for (const r of rows) {
    if (r.section !== section) {
      section = r.section;
      lines.push('', section);
    }
    const d = r.digits ?? 0;
    const ratio = r.ratio ? `  ${r.ratio.value.toFixed(2)}× ${r.ratio.vs}` : '';
    const target = r.target ? `  [${r.target.met ? 'met' : 'MISSED'}: ${r.target.text}]` : '';
    lines.push(`  ${r.name.padEnd(58)} ${fmt(r.summary.median, d).padStart(12)} ${r.unit.padEnd(10)} (${fmt(r.summary.min, d)}–${fmt(r.summary.max, d)})${ratio}${target}`);
  }
  return lines.join('\n');
}
