// A thin node:http front for the real read handler: each request becomes an API Gateway HTTP
// API (payload 2.0) event, the handler's answer becomes the response. Used by `sluice serve`,
// the benchmarks and the load tests, so they exercise exactly what Lambda runs.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { lambdaContext } from './state-machine.js';

export type ApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

export interface ApiServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ApiServerOptions {
  port?: number;
  host?: string;
  handler?: ApiHandler;
  /** Called after each request (for request logs). */
  onRequest?: (info: { method: string; path: string; status: number; ms: number }) => void;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes?: number;
}

export function toHttpApiEvent(method: string, rawUrl: string, headers: Record<string, string>, body: string | undefined): APIGatewayProxyEventV2 {
  const url = new URL(rawUrl, 'http://localhost');
  const query = Object.fromEntries(url.searchParams);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: `local-${Date.now()}`,
      routeKey: '$default',
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    body,
    isBase64Encoded: false,
  };
}

async function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  const pieces: Buffer[] = [];
  let size = 0;
  for await (const piece of req) {
    size += (piece as Buffer).length;
    if (size > max) throw new Error('body too large');
    pieces.push(piece as Buffer);
  }
  return size > 0 ? Buffer.concat(pieces).toString('utf8') : undefined;
}

export async function startApiServer(options: ApiServerOptions = {}): Promise<ApiServer> {
  const handler = options.handler ?? ((await import('../functions/handlers/read-api.js')).handler as unknown as ApiHandler);
  const context = lambdaContext('ReadApiFunction');
  const maxBody = options.maxBodyBytes ?? 1 << 20;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    const method = req.method ?? 'GET';
    const send = (status: number, headers: Record<string, string>, body: string) => {
      res.writeHead(status, headers).end(body);
      options.onRequest?.({ method, path: req.url ?? '/', status, ms: Number(process.hrtime.bigint() - started) / 1e6 });
    };
    readBody(req, maxBody)
      .then(async (body) => {
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
        const r = await handler(toHttpApiEvent(method, req.url ?? '/', headers, body), context);
        send(r.statusCode ?? 200, (r.headers ?? {}) as Record<string, string>, r.body ?? '');
      })
      .catch(() => send(500, { 'content-type': 'application/json' }, '{"error":{"code":"internal_error","message":"internal error"}}'));
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
