// Issue 5, item 5: the pointer swap at 10k and at 1M records. Several read containers (the real
// read handler, each in its own process with its own pointer cache, POINTER_CACHE_MS at its
// default) are polled continuously while a loaded version is committed; we time the commit
// itself and, per reader, the first answer from the new version. Neither may grow with the
// version's size: the swap is one compare-and-set on the control slot.
import { request, Agent } from 'node:http';
import { commit, planAndLoad } from './ingest.js';
import type { Row } from './report.js';
import { summarise } from './stats.js';
import { startReadServer, type LoadWorker, type ReadServer } from './workers.js';

export interface SwapCase {
  label: string;
  prefix: string;
  records: number;
}

interface Poller {
  stop(): Promise<void>;
  /** performance.now() of the first answer from `version`, and whether an older version answered after it. */
  firstFrom(version: string): { at: number; revertedAfter: boolean; errors: number } | null;
}

function poll(server: ReadServer, users: number): Poller {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const answers: { at: number; version: string }[] = [];
  let errors = 0;
  let running = true;
  const once = () =>
    new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: `/users/u${Math.floor(Math.random() * users)}/recommendations`, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => {
          if (res.statusCode === 200) answers.push({ at: performance.now(), version: (JSON.parse(body) as { version: string }).version });
          else errors++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
  const loop = (async () => {
    while (running) {
      await once();
      await new Promise((r) => setTimeout(r, 2)); // a reader every ~2 ms: resolution well under the 1 s pointer cache
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      agent.destroy();
    },
    firstFrom(version) {
      const i = answers.findIndex((a) => a.version === version);
      if (i < 0) return null;
      return { at: answers[i]!.at, revertedAfter: answers.slice(i).some((a) => a.version !== version), errors };
    },
  };
}

export async function measureSwap(workers: LoadWorker[], dataset: string, cases: SwapCase[], reps: number, readers: number, flush: () => Promise<void>, log: (s: string) => void): Promise<Row[]> {
  const servers = await Promise.all(Array.from({ length: readers }, () => startReadServer('api')));
  const rows: Row[] = [];
  try {
    for (const c of cases) {
      const id = c.label.replace(/[^A-Za-z0-9]/g, '');
      // A live version to swap away from, the first of an empty cluster: against the previous
      // case's live version its record count would be held by the release checks.
      await flush();
      await commit(await planAndLoad(workers, dataset, c.prefix, `swap-${id}-0`));
      const swapMs: number[] = [];
      const checksMs: number[] = [];
      const allSwitchedMs: number[] = [];
      for (let rep = 1; rep <= reps; rep++) {
        const loaded = await planAndLoad(workers, dataset, c.prefix, `swap-${id}-${rep}`);
        const pollers = servers.map((s) => poll(s, c.records));
        // Every reader warm and caching the old pointer; a random wait so each repetition lands at
        // another point of the readers' cache period (the switch time is that phase, nothing else).
        await new Promise((r) => setTimeout(r, 1000 + Math.random() * 1000));
        const done = await commit(loaded);
        const started = done.swapStartedAt;
        const ms = done.ms - done.checksMs;
        const swapped = performance.now();
        const deadline = swapped + 10_000;
        while (pollers.some((p) => !p.firstFrom(loaded.version)) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, 200)); // and a few answers after, to check nobody went back
        await Promise.all(pollers.map((p) => p.stop()));
        const firsts = pollers.map((p) => p.firstFrom(loaded.version));
        if (firsts.some((f) => f === null)) throw new Error(`swap ${loaded.version}: not every reader switched within 10 s`);
        if (firsts.some((f) => f!.revertedAfter || f!.errors > 0)) throw new Error(`swap ${loaded.version}: a reader answered from the old version after the new one, or failed`);
        swapMs.push(ms);
        checksMs.push(done.checksMs);
        allSwitchedMs.push(Math.max(...firsts.map((f) => f!.at)) - started);
        log(`  swap at ${c.label}, rep ${rep}: checks ${done.checksMs.toFixed(1)} ms, swap ${ms.toFixed(1)} ms, every reader on the new version after ${allSwitchedMs.at(-1)!.toFixed(0)} ms`);
      }
      const cacheMs = Number(process.env.POINTER_CACHE_MS ?? 1000);
      const section = `Swap: the commit step (chunk results + release checks, then the compare-and-set swap and retention) and readers switching; ${readers} read processes polled every ~2 ms, pointer cache ${cacheMs} ms`;
      const switched = summarise(allSwitchedMs);
      rows.push({ section, name: `${c.label} records: chunk results and release checks, before the swap (the distinct count grows with the buckets)`, unit: 'ms', summary: summarise(checksMs), digits: 1 });
      rows.push({ section, name: `${c.label} records: the pointer swap (compare-and-set, replica confirmation, retention)`, unit: 'ms', summary: summarise(swapMs), digits: 1 });
      rows.push({
        section,
        name: `${c.label} records: from the swap until every reader answers from the new version`,
        unit: 'ms',
        summary: switched,
        target: { text: `max ≤ pointer cache + 250 ms`, met: switched.max <= cacheMs + 250 },
      });
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
  if (cases.length === 2) {
    const [small, big] = cases as [SwapCase, SwapCase];
    const commitOf = (label: string) => rows.find((r) => r.name.startsWith(`${label} records: the pointer swap`))!.summary;
    const ratio = commitOf(big.label).median / commitOf(small.label).median;
    rows.push({
      section: rows[0]!.section,
      name: `pointer swap at ${big.label} against ${small.label}`,
      unit: 'ms',
      summary: commitOf(big.label),
      digits: 1,
      ratio: { value: ratio, vs: small.label },
      target: { text: 'flat (≤ 2 × + 2 ms)', met: commitOf(big.label).median <= 2 * commitOf(small.label).median + 2 },
    });
  }
  return rows;
}
