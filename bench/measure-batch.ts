// Issue 7's row: 100 records in one POST /datasets/{dataset}/batch-get against 100 sequential
// single reads (GET /datasets/{dataset}/items/{key}), one client, one keep-alive connection,
// on the real read handler behind local/api-server.ts.
import { Agent, request } from 'node:http';
import type { Row } from './report.js';
import { quantile, summarise } from './stats.js';
import { startReadServer } from './workers.js';

function call(port: number, agent: Agent, method: string, path: string, body?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent, headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 200)}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function measureBatchGet(dataset: string, users: number, rounds: number, iterations: number, log: (s: string) => void): Promise<Row[]> {
  const server = await startReadServer('api');
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const batch: number[] = [];
  const sequential: number[] = [];
  const keysOf = () => Array.from({ length: 100 }, () => `u${Math.floor(Math.random() * users)}`);
  try {
    const batchOnce = async () => {
      const keys = keysOf();
      const t = performance.now();
      const answer = JSON.parse(await call(server.port, agent, 'POST', `/datasets/${dataset}/batch-get`, JSON.stringify({ keys }))) as { results: { found: boolean }[] };
      if (answer.results.filter((r) => r.found).length !== 100) throw new Error('batch-get did not find all 100 keys');
      return performance.now() - t;
    };
    const sequentialOnce = async () => {
      const keys = keysOf();
      const t = performance.now();
      for (const key of keys) await call(server.port, agent, 'GET', `/datasets/${dataset}/items/${key}`);
      return performance.now() - t;
    };
    for (let i = 0; i < 20; i++) await batchOnce(); // warm-up: connection, pointer cache, JIT
    await sequentialOnce();
    for (let round = 1; round <= rounds; round++) {
      const b: number[] = [];
      const s: number[] = [];
      for (let i = 0; i < iterations; i++) {
        b.push(await batchOnce());
        s.push(await sequentialOnce());
      }
      batch.push(quantile(b, 0.5));
      sequential.push(quantile(s, 0.5));
      log(`  batch-get round ${round}: 100 keys in one request ${batch.at(-1)!.toFixed(2)} ms, 100 sequential reads ${sequential.at(-1)!.toFixed(2)} ms (p50 of ${iterations})`);
    }
  } finally {
    agent.destroy();
    await server.stop();
  }
  const section = 'Batch reads (issue 7): 100 random existing keys, one client on one keep-alive connection, p50 per round';
  const seq = summarise(sequential);
  const bat = summarise(batch);
  return [
    { section, name: '100 sequential GET /datasets/{dataset}/items/{key}', unit: 'ms', summary: seq, digits: 2 },
    { section, name: 'one POST /datasets/{dataset}/batch-get with 100 keys', unit: 'ms', summary: bat, digits: 2, ratio: { value: bat.median / seq.median, vs: 'sequential' } },
  ];
}
