// What a read that names no version pays for version pinning, in one thread with no I/O: the
// handler's pinOf() (a query-parameter and a header lookup) on the events local/api-server.ts
// builds, against the same loop without it. Not part of `npm run bench`; BENCHMARKS.md's
// "Pinned reads" note comes from it and from bench/compare-reads.ts.
//   node --import tsx bench/pin-micro.ts [calls=2000000]
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { pinOf } from '../functions/handlers/read-api.js';
import { toHttpApiEvent } from '../local/api-server.js';
import { summarise } from './stats.js';

const calls = Number(process.argv[2] ?? 2_000_000);
// Headers as a browser-less client sends them through node:http (lower-case names).
const headers = { host: '127.0.0.1:3000', 'user-agent': 'curl/8.5.0', accept: '*/*', connection: 'keep-alive' };
const events: [string, APIGatewayProxyEventV2[]][] = [
  ['no version named (/users/{id}/recommendations)', Array.from({ length: 1024 }, (_, i) => toHttpApiEvent('GET', `/users/u${i}/recommendations`, headers, undefined))],
  ['no version named (/recommendations?userId=&rank=)', Array.from({ length: 1024 }, (_, i) => toHttpApiEvent('GET', `/recommendations?userId=u${i}&rank=1`, headers, undefined))],
  ['?version=v1', Array.from({ length: 1024 }, (_, i) => toHttpApiEvent('GET', `/users/u${i}/recommendations?version=v1`, headers, undefined))],
  ['x-sluice-version: v1', Array.from({ length: 1024 }, (_, i) => toHttpApiEvent('GET', `/users/u${i}/recommendations`, { ...headers, 'x-sluice-version': 'v1' }, undefined))],
];

let sink = 0;
function loop(list: APIGatewayProxyEventV2[], withPin: boolean): number {
  const t = performance.now();
  for (let i = 0; i < calls; i++) {
    const e = list[i & 1023]!;
    sink += e.rawPath.length;
    if (withPin) sink += pinOf(e)?.length ?? 0;
  }
  return ((performance.now() - t) * 1e6) / calls;
}

for (const [name, list] of events) {
  const withPin: number[] = [];
  const without: number[] = [];
  for (let round = 0; round < 7; round++) {
    without.push(loop(list, false));
    withPin.push(loop(list, true));
  }
  const extra = summarise(withPin.map((w, i) => w - without[i]!));
  console.log(`${name}: pinOf adds ${extra.median.toFixed(1)} ns per request (min ${extra.min.toFixed(1)}, max ${extra.max.toFixed(1)}; 7 rounds of ${calls.toLocaleString('en-US')})`);
}
if (sink === 42) console.log('');
