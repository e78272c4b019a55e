// A thin node:http front for the real read handler: each request becomes an API Gateway HTTP
// API (payload 2.0) event, the handler's answer becomes the response. Used by `sluice serve`,
// the benchmarks and the load tests, so they exercise exactly what Lambda runs. What API Gateway
// itself answers is answered here the same way, in the API's JSON error shape: a body over the
// payload limit (413), a request line and headers over theirs (414/431), a query string that
// does not decode (400); repeated query parameters reach the handler joined with commas.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { parseQueryString } from '../functions/domain/read-request.js';
import { InvalidInputError } from '../functions/errors.js';
import { lambdaContext } from './state-machine.js';

/** API Gateway HTTP API quotas: payload 10 MB; request line and header values 10240 bytes together. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
export const MAX_REQUEST_LINE_AND_HEADERS_BYTES = 10_240;
/** Node's own parser limit, above API Gateway's, so over-limit requests still reach our JSON answer. */
const NODE_MAX_HEADER_BYTES = 64 * 1024;

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
  /** Largest request body accepted, in bytes (default: API Gateway's 10 MB). */
  maxBodyBytes?: number;
}

// Formatting a date costs about as much as building the rest of the event: once per millisecond.
let lastTime = { at: 0, iso: '' };
function isoTime(now: number): string {
  if (lastTime.at !== now) lastTime = { at: now, iso: new Date(now).toISOString() };
  return lastTime.iso;
}

/** Throws InvalidInputError for a query string that does not decode (see parseQueryString). */
export function toHttpApiEvent(method: string, rawUrl: string, headers: Record<string, string>, body: string | undefined): APIGatewayProxyEventV2 {
  // As API Gateway does: the path as sent (still percent-encoded), the query split off.
  const at = rawUrl.indexOf('?');
  const pathname = at < 0 ? rawUrl : rawUrl.slice(0, at);
  const rawQuery = at < 0 ? '' : rawUrl.slice(at + 1);
  const query = parseQueryString(rawQuery);
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: pathname,
    rawQueryString: rawQuery,
    headers,
    queryStringParameters: query,
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

const errorBody = (code: string, message: string): string => JSON.stringify({ error: { code, message } });

class BodyTooLarge extends Error {}

/** The body, or BodyTooLarge past `max`; the rest of an over-limit body is read and dropped, so the client can read the 413. */
function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const pieces: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (piece: Buffer) => {
      if (over) return;
      size += piece.length;
      if (size > max) {
        over = true;
        pieces.length = 0;
        reject(new BodyTooLarge());
      } else pieces.push(piece);
    });
    req.once('end', () => {
      if (!over) resolve(size > 0 ? Buffer.concat(pieces).toString('utf8') : undefined);
    });
    req.once('error', reject);
  });
}

/** Request line and header values, in bytes, as API Gateway counts them against its quota. */
function requestLineAndHeaderBytes(req: IncomingMessage): number {
  let n = Buffer.byteLength(req.url ?? '') + (req.method?.length ?? 0) + 9; // method, URL, " HTTP/1.1"
  for (let i = 1; i < req.rawHeaders.length; i += 2) n += Buffer.byteLength(req.rawHeaders[i]!);
  return n;
}

export async function startApiServer(options: ApiServerOptions = {}): Promise<ApiServer> {
  const handler = options.handler ?? ((await import('../functions/handlers/read-api.js')).handler as unknown as ApiHandler);
  const context = lambdaContext('ReadApiFunction');
  const maxBody = options.maxBodyBytes ?? MAX_BODY_BYTES;
  // Built once, not per request (no closure allocated per request).
  const invoke = (req: IncomingMessage, body: string | undefined): Promise<APIGatewayProxyStructuredResultV2> => {
    const headers: Record<string, string> = {};
    for (const k in req.headers) {
      const v = req.headers[k];
      headers[k] = Array.isArray(v) ? v.join(',') : (v ?? '');
    }
    return handler(toHttpApiEvent(req.method ?? 'GET', req.url ?? '/', headers, body), context);
  };
  const log = (req: IncomingMessage, status: number, started: number): void =>
    options.onRequest?.({ method: req.method ?? 'GET', path: req.url ?? '/', status, ms: performance.now() - started });
  const respond = (req: IncomingMessage, res: ServerResponse, started: number, r: APIGatewayProxyStructuredResultV2): void => {
    const status = r.statusCode ?? 200;
    res.writeHead(status, (r.headers ?? {}) as Record<string, string>).end(r.body ?? '');
    log(req, status, started);
  };
  /** An answer of the gateway itself. If the request's body is still coming, read it to its end and close: the client gets the answer, not a reset. */
  const refuse = (req: IncomingMessage, res: ServerResponse, started: number, status: number, code: string, message: string): void => {
    const unread = !req.complete;
    res.writeHead(status, { 'content-type': 'application/json', ...(unread ? { connection: 'close' } : {}) }).end(errorBody(code, message));
    if (unread) req.resume();
    log(req, status, started);
  };
  const failed = (req: IncomingMessage, res: ServerResponse, started: number, err: unknown): void => {
    if (err instanceof BodyTooLarge) refuse(req, res, started, 413, 'payload_too_large', `the request body is over ${maxBody} bytes`);
    else if (err instanceof InvalidInputError) refuse(req, res, started, 400, 'bad_request', err.message);
    else refuse(req, res, started, 500, 'internal_error', 'internal error');
  };
  const server: Server = createServer({ maxHeaderSize: NODE_MAX_HEADER_BYTES }, (req: IncomingMessage, res: ServerResponse) => {
    const started = options.onRequest ? performance.now() : 0;
    if (requestLineAndHeaderBytes(req) > MAX_REQUEST_LINE_AND_HEADERS_BYTES) {
      const urlOnly = Buffer.byteLength(req.url ?? '') > MAX_REQUEST_LINE_AND_HEADERS_BYTES;
      const what = urlOnly ? 'the URL is' : 'the request line and headers are';
      return refuse(req, res, started, urlOnly ? 414 : 431, urlOnly ? 'uri_too_long' : 'headers_too_large', `${what} over ${MAX_REQUEST_LINE_AND_HEADERS_BYTES} bytes`);
    }
    const declared = Number(req.headers['content-length']);
    if (declared > maxBody) return failed(req, res, started, new BodyTooLarge());
    // A request without a body goes straight to the handler (one promise fewer per read).
    const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    let answer: Promise<APIGatewayProxyStructuredResultV2>;
    try {
      answer = hasBody ? readBody(req, maxBody).then((body) => invoke(req, body)) : invoke(req, undefined);
    } catch (err) {
      return failed(req, res, started, err);
    }
    answer.then(
      (r) => respond(req, res, started, r),
      (err: unknown) => failed(req, res, started, err),
    );
  });
  // Past even Node's parser limit: still the JSON shape, then close (nothing more can be parsed).
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return socket.destroy();
    const [status, code, message] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? ['431 Request Header Fields Too Large', 'headers_too_large', `the request line and headers are over ${MAX_REQUEST_LINE_AND_HEADERS_BYTES} bytes`]
        : ['400 Bad Request', 'bad_request', 'malformed HTTP request'];
    const body = errorBody(code, message);
    socket.end(`HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
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
