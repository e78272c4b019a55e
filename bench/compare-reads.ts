// Before/after for a change to the read path, in one run: the read handler of this tree and of
// another checkout (BENCH_BEFORE_TREE) behind local/api-server.ts, with the bare server and the
// read path without the Lambda layer beside them, interleaved round by round over the same
// loaded version. `api pinned` is this tree's handler asked for the live version by name
// (`?version=`, a pinned read), to show what pinning costs. Not part of `npm run bench`.
//   BENCH_BEFORE_TREE=/tmp/sluice-before node --openssl-legacy-provider --import tsx bench/compare-reads.ts
import { closeRuntime } from '../functions/lambda/runtime.js';
import { putInputs } from './data.js';
import { httpLoad } from './http-load.js';
import { commit, planAndLoad } from './ingest.js';
import { benchEnv, startInfra } from './infra.js';
import { summarise } from './stats.js';
import { processCpuUs, startLoadWorker, startReadServer, type ReadServer } from './workers.js';

const before = process.env.BENCH_BEFORE_TREE;
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const users = Number(process.env.BENCH_RECORDS ?? 200_000);

const infra = await startInfra();
const servers: [string, ReadServer][] = [];
try {
  Object.assign(process.env, benchEnv(infra, 'bench'));
  const inputs = await putInputs(infra, users, 1000);
  const loader = await startLoadWorker('loader', { usesRuntime: true });
  await commit(await planAndLoad([loader], 'bench', inputs.scored.prefix, 'reads'));
  await loader.stop();
  servers.push(['api', await startReadServer('api')], ['bare', await startReadServer('bare')], ['core', await startReadServer('core')]);
  if (before) servers.push(['before', await startReadServer('api', {}, before)]);
  const userPath = () => `/users/u${Math.floor(Math.random() * users)}/recommendations`;
  const pinnedPath = () => `${userPath()}?version=reads`;
  const variants: [string, ReadServer, () => string][] = servers.map(([name, server]) => [name, server, userPath]);
  variants.splice(1, 0, ['api pinned', servers[0]![1], pinnedPath]);
  const figures: Record<string, { rps: number[]; p99: number[]; cpu: number[] }> = {};
  for (let round = 1; round <= rounds; round++) {
    for (const [name, server, path] of variants) {
      const c0 = processCpuUs(server.pid);
      const r = await httpLoad({ port: server.port, connections: 50, warmupMs: 1000, durationMs: 5000, path });
      if (r.non200 > 0 || r.errors > 0) throw new Error(`${name}: ${r.non200} non-200 answers, ${r.errors} socket errors`);
      const f = (figures[name] ??= { rps: [], p99: [], cpu: [] });
      f.rps.push(r.rps);
      f.p99.push(r.p99Ms);
      f.cpu.push((processCpuUs(server.pid) - c0) / r.answered);
      console.log(`round ${round} ${name}: ${Math.round(r.rps)} req/s, p99 ${r.p99Ms.toFixed(2)} ms`);
    }
  }
  const bare = summarise(figures.bare!.rps).median;
  for (const [name, f] of Object.entries(figures)) {
    const rps = summarise(f.rps);
    console.log(
      `${name}: ${Math.round(rps.median)} (${Math.round(rps.min)}-${Math.round(rps.max)}) req/s, ${(rps.median / bare).toFixed(2)}x bare; ` +
        `p99 ${summarise(f.p99).median.toFixed(2)} ms; server CPU ${summarise(f.cpu).median.toFixed(1)} µs/request`,
    );
  }
} finally {
  await Promise.all(servers.map(([, s]) => s.stop()));
  await closeRuntime();
  await infra.stop();
}
