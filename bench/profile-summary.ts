// Summarises a V8 .cpuprofile (from `node --cpu-prof`, or BENCH_CPU_PROF=<dir> for the bench's
// child processes): self time per function and per file, the figures quoted in BENCHMARKS.md.
// Usage: node --import tsx bench/profile-summary.ts <file.cpuprofile> [top=25]
import { readProfile, shortUrl } from './cpu-profile.js';

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]');
const { profile, byId } = readProfile(file);
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const fnTotals = new Map<string, number>();
const fileTotals = new Map<string, number>();
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : '(native)';
  const fn = `${functionName || '(anonymous)'} ${where}`;
  fnTotals.set(fn, (fnTotals.get(fn) ?? 0) + us);
  const group = url ? shortUrl(url).replace(/^(node_modules\/(@[^/]+\/)?[^/]+).*/, '$1') : functionName.startsWith('(') ? functionName : '(native)';
  fileTotals.set(group, (fileTotals.get(group) ?? 0) + us);
}
const top = Number(topArg ?? 25);
const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled`);
console.log('\nself time by function:');
for (const [fn, us] of [...fnTotals].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${fn}`);
console.log('\nself time by file / package:');
for (const [f, us] of [...fileTotals].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${f}`);
