// A V8 .cpuprofile (BENCH_CPU_PROF=<dir>) split by time: what each load or read round cost in a
// process that ran several, and which functions differ between two groups of them (the loads with
// tombstones and corrections against those without, say). Times are seconds from the profile's start.
// Usage: node --import tsx bench/profile-windows.ts <file.cpuprofile> [windows] [--incl=f,g] [--diff=A/B] [--top=12]
//   windows: label:from-to,... (seconds); without them, each busy stretch (no gap >= --gap, 0.6 s) is one, named b1, b2, ...
//   --incl:  functions whose inclusive time (with their callees) is printed per window
//   --diff:  two groups of window labels, e.g. --diff=b1,b3,b5/b2,b4,b6: self time of B less A, per function
import { readProfile, shortUrl, type ProfileNode } from './cpu-profile.js';

interface Window {
  label: string;
  from: number;
  to: number;
  busyMs: number;
  self: Map<string, number>;
  incl: Map<string, number>;
}

const args = process.argv.slice(2);
const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const [file, windowArg] = args.filter((a) => !a.startsWith('--'));
if (!file) throw new Error('usage: profile-windows.ts <file.cpuprofile> [label:from-to,...] [--incl=f,g] [--diff=A/B] [--top=12]');
const { profile, byId } = readProfile(file);
const parentOf = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);

// Sample times in seconds; idle samples mark the gaps.
const samples: { at: number; id: number; ms: number; idle: boolean }[] = [];
let t = 0;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  t += delta;
  samples.push({ at: t / 1e6, id, ms: delta / 1000, idle: byId.get(id)!.callFrame.functionName === '(idle)' });
});

/** Idle seconds that end a busy stretch. */
const GAP = Number(option('gap') ?? 0.6);

function busyStretches(): { label: string; from: number; to: number }[] {
  const out: { label: string; from: number; to: number }[] = [];
  const busyAt = samples.filter((s) => !s.idle).map((s) => s.at);
  for (const at of busyAt) {
    const last = out.at(-1);
    if (last && at - last.to < GAP) last.to = at;
    else out.push({ label: `b${out.length + 1}`, from: at, to: at });
  }
  // Stretches of a few samples are housekeeping between rounds, not a round.
  return out.filter((w) => w.to - w.from >= 0.5).map((w, i) => ({ ...w, label: `b${i + 1}` }));
}

const ranges = windowArg
  ? windowArg.split(',').map((w) => {
      const [label, span] = w.split(':');
      const [from, to] = (span ?? '').split('-').map(Number);
      if (!label || !Number.isFinite(from) || !Number.isFinite(to)) throw new Error(`a window is label:from-to, not ${w}`);
      return { label, from: from!, to: to! };
    })
  : busyStretches();
const windows: Window[] = ranges.map((r) => ({ ...r, busyMs: 0, self: new Map(), incl: new Map() }));
const nameOf = (n: ProfileNode): string => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url ? `${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}` : '(native)'}`;

for (const s of samples) {
  if (s.idle) continue;
  const w = windows.find((x) => s.at >= x.from && s.at <= x.to);
  if (!w) continue;
  const node = byId.get(s.id)!;
  w.busyMs += s.ms;
  w.self.set(nameOf(node), (w.self.get(nameOf(node)) ?? 0) + s.ms);
  // Inclusive: once per function name on the sample's stack.
  const seen = new Set<string>();
  for (let id: number | undefined = s.id; id !== undefined; id = parentOf.get(id)) {
    const fn = byId.get(id)!.callFrame.functionName;
    if (seen.has(fn)) continue;
    seen.add(fn);
    w.incl.set(fn, (w.incl.get(fn) ?? 0) + s.ms);
  }
}

const top = Number(option('top') ?? 12);
const incl = (option('incl') ?? '').split(',').filter(Boolean);
for (const w of windows) {
  console.log(`${w.label} ${w.from.toFixed(1)}-${w.to.toFixed(1)} s: busy ${w.busyMs.toFixed(0)} ms`);
  for (const [fn, ms] of [...w.self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  self ${ms.toFixed(0).padStart(6)} ms  ${fn}`);
  for (const fn of incl) console.log(`  incl ${(w.incl.get(fn) ?? 0).toFixed(0).padStart(6)} ms  ${fn}`);
}

const diff = option('diff');
if (diff) {
  const [a, b] = diff.split('/').map((g) => g.split(','));
  const sum = (labels: string[] | undefined) => {
    const total = new Map<string, number>();
    for (const w of windows.filter((x) => labels?.includes(x.label))) for (const [fn, ms] of w.self) total.set(fn, (total.get(fn) ?? 0) + ms);
    return total;
  };
  const [sa, sb] = [sum(a), sum(b)];
  const busy = (m: Map<string, number>) => [...m.values()].reduce((x, y) => x + y, 0);
  console.log(`\n${b?.join(',')} less ${a?.join(',')}: ${(busy(sb) - busy(sa)).toFixed(0)} ms busy`);
  const fns = new Set([...sa.keys(), ...sb.keys()]);
  const deltas = [...fns].map((fn) => [fn, (sb.get(fn) ?? 0) - (sa.get(fn) ?? 0)] as const).sort((x, y) => Math.abs(y[1]) - Math.abs(x[1]));
  for (const [fn, ms] of deltas.slice(0, top * 2)) console.log(`  ${ms >= 0 ? '+' : ''}${ms.toFixed(0).padStart(5)} ms  ${fn}`);
}
