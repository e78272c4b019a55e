// A thin node:http front for the real read handler: each request becomes an API Gateway HTTP
// API (payload 2.0) event, the handler's answer becomes the response. Used by `sluice serve`,
// the benchmarks and the load tests, so they exercise exactly what Lambda runs.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { lambdaContext } from './state-machine.js';

type ApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

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

// Formatting a date costs about as much as building the rest of the event: once per millisecond.
let lastTime = { at: 0, iso: '' };
function isoTime(now: number): string {
  if (lastTime.at !== now) lastTime = { at: now, iso: new Date(now).toISOString() };
  return lastTime.iso;
}

export function toHttpApiEvent(method: string, rawUrl: string, headers: Record<string, string>, body: string | undefined): APIGatewayProxyEventV2 {
  // As API Gateway does: the path as sent (still percent-encoded), the query split off.
  const at = rawUrl.indexOf('?');
  const pathname = at < 0 ? rawUrl : rawUrl.slice(0, at);
  const rawQuery = at < 0 ? '' : rawUrl.slice(at + 1);
  const query = rawQuery ? Object.fromEntries(new URLSearchParams(rawQuery)) : {};
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: pathname,
    rawQueryString: rawQuery,
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method, path: pathname, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: `local-${now}`,
      routeKey: '$default',
      stage: '$default',
      time: isoTime(now),
      timeEpoch: now,
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
  // Built once, not per request: every named closure costs a __name() under esbuild's KeepNames.
  const invoke = (req: IncomingMessage, body: string | undefined): Promise<APIGatewayProxyStructuredResultV2> => {
    const headers: Record<string, string> = {};
    for (const k in req.headers) {
      const v = req.headers[k];
      headers[k] = Array.isArray(v) ? v.join(',') : (v ?? '');
    }
    return handler(toHttpApiEvent(req.method ?? 'GET', req.url ?? '/', headers, body), context);
  };
  const respond = (req: IncomingMessage, res: ServerResponse, started: number, r: APIGatewayProxyStructuredResultV2 | null): void => {
    const status = r ? (r.statusCode ?? 200) : 500;
    if (r) res.writeHead(status, (r.headers ?? {}) as Record<string, string>).end(r.body ?? '');
    else res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"code":"internal_error","message":"internal error"}}');
    options.onRequest?.({ method: req.method ?? 'GET', path: req.url ?? '/', status, ms: performance.now() - started });
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const started = options.onRequest ? performance.now() : 0;
    // A request without a body goes straight to the handler (one promise fewer per read).
    const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    (hasBody ? readBody(req, maxBody).then((body) => invoke(req, body)) : invoke(req, undefined)).then(
      (r) => respond(req, res, started, r),
      () => respond(req, res, started, null),
    );
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
