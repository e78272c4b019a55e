// A read server for the benchmark, in its own process: `api` is the real read handler behind
// local/api-server.ts (what `sluice serve` runs); `bare` is the baseline of issue 5, a bare
// node:http + ioredis server that does the pointer GET and the data read on every request;
// `core` is Sluice's read path (the reader and the handler's response) behind node:http without
// the Lambda layer (API Gateway event, routing), to show what that layer costs.
// Tells the driver its port over IPC; exits when told to.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Cluster } from 'ioredis';
import { bucketOf, controlKeys, dataKey } from '../functions/domain/key-layout.js';
import { json } from '../functions/lambda/http-response.js';
import { closeRuntime, runtime } from '../functions/lambda/runtime.js';
import { userItems } from '../functions/pipeline/read-recommendations.js';
import { startApiServer } from '../local/api-server.js';

const kind = process.argv[2];
const USER_ROUTE = /^\/users\/([^/?]+)\/recommendations$/;

type Running = { port: number; close(): Promise<void> };

/** Serves `answer(userId)` on the user route (404 elsewhere); `release` runs after the server closes. */
async function serveUsers(answer: (userId: string, res: ServerResponse) => void, release: () => Promise<unknown>): Promise<Running> {
  const server = createServer((req, res) => {
    const m = USER_ROUTE.exec(req.url ?? '');
    if (!m) return void res.writeHead(404).end();
    answer(decodeURIComponent(m[1]!), res);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await release();
    },
  };
}

function bare(): Promise<Running> {
  const dataset = process.env.DATASET ?? 'recommendations';
  const seeds = (process.env.BENCH_REDIS_SEEDS ?? '').split(',').map((s) => ({ host: s.split(':')[0]!, port: Number(s.split(':')[1]) }));
  const redis = new Cluster(seeds, { scaleReads: 'master', redisOptions: { protocol: 2 } });
  const current = controlKeys(dataset).current;
  return serveUsers(
    (userId, res) => {
      redis
        .get(current)
        .then(async (raw) => {
          const pointer = JSON.parse(raw!) as { version: string; buckets: number };
          const value = await redis.hget(dataKey(dataset, pointer.version, bucketOf(userId, pointer.buckets)), userId);
          if (value === null) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"not_found"}}');
          res.writeHead(200, { 'content-type': 'application/json' }).end(`{"userId":${JSON.stringify(userId)},"items":${value},"version":${JSON.stringify(pointer.version)}}`);
        })
        .catch(() => res.writeHead(503).end());
    },
    () => redis.quit(),
  );
}

async function core(): Promise<Running> {
  const { reader } = (await runtime()).defaultDataset;
  return serveUsers(
    (userId, res) => {
      userItems(reader, userId).then(
        (found) => {
          const r = json(200, found);
          res.writeHead(200, r.headers as Record<string, string>).end(r.body);
        },
        () => res.writeHead(503).end(),
      );
    },
    () => closeRuntime(),
  );
}

async function api(): Promise<Running> {
  const server = await startApiServer();
  return {
    port: server.port,
    close: async () => {
      await server.close();
      await closeRuntime();
    },
  };
}

const servers = { api, bare, core };
if (kind === undefined || !(kind in servers)) throw new Error(`usage: read-server.ts api|bare|core (got ${kind})`);
const server = await servers[kind as keyof typeof servers]();
process.on('disconnect', () => process.exit(1)); // the driver went away: do not outlive it
process.on('message', () => {
  void server.close().finally(() => process.exit(0));
});
process.send!({ port: server.port });
