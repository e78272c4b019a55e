// The read API (API Gateway HTTP API, payload format 2.0):
//   GET  /recommendations?userId=&rank=            one rank of a user's list (default dataset)
//   GET  /users/{userId}/recommendations           a user's whole list (default dataset)
//   GET  /datasets/{dataset}/items/{key}[?fields=]  one record of any dataset
//   POST /datasets/{dataset}/batch-get {"keys":[]} up to 100 records, all from one version
// Every route reads the live version unless the request names one: `?version=<id>` and/or the
// header `x-sluice-version: <id>` pins it to that version (live, retained or held).
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { decodeUrlComponent, parseBatchKeys, parseFields, parseKey, parsePinnedVersion, parseRank, parseUserId } from '../domain/read-request.js';
import { rankedItem, userItems } from '../pipeline/read-recommendations.js';
import { batchGet, getRecord } from '../pipeline/read-records.js';
import { VERSION_HEADER } from '../domain/pinned-version.js';
import { NotFoundError } from '../errors.js';
import { errorResponse, json } from '../lambda/http-response.js';
import { logger, metrics, MetricUnit } from '../lambda/observability.js';
import { runtime, type DatasetRuntime } from '../lambda/runtime.js';

/** A dataset named in a path: an unknown one is a 404, like an unknown record. */
async function datasetNamed(raw: string | undefined): Promise<DatasetRuntime> {
  const name = parseKey(raw, 'dataset');
  const rt = await runtime();
  if (!rt.datasets.some((d) => d.spec.name === name)) throw new NotFoundError(`no dataset named ${name.slice(0, 64)}`);
  return rt.dataset(name);
}

/**
 * The version a request is pinned to, or undefined for the live one. HTTP API v2 events carry
 * header names in lower case (so does node:http for the local server).
 */
export function pinOf(event: APIGatewayProxyEventV2): string | undefined {
  const query = event.queryStringParameters?.version;
  const header = event.headers?.[VERSION_HEADER];
  return query === undefined && header === undefined ? undefined : parsePinnedVersion(query, header);
}

type Params = Record<string, string>;
type Route = { method: string; pattern: RegExp; params: string[]; run: (event: APIGatewayProxyEventV2, p: Params) => Promise<APIGatewayProxyStructuredResultV2> };

function body(event: APIGatewayProxyEventV2): string | undefined {
  if (event.body === undefined) return undefined;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

const routes: Record<string, Route> = {
  'GET /recommendations': {
    method: 'GET',
    pattern: /^\/recommendations$/,
    params: [],
    run: async (event) => {
      const q = event.queryStringParameters ?? {};
      const userId = parseUserId(q.userId);
      const rank = parseRank(q.rank);
      return json(200, await rankedItem((await runtime()).defaultDataset.reader, userId, rank, pinOf(event)));
    },
  },
  'GET /users/{userId}/recommendations': {
    method: 'GET',
    pattern: /^\/users\/([^/]+)\/recommendations$/,
    params: ['userId'],
    run: async (event, p) => json(200, await userItems((await runtime()).defaultDataset.reader, parseUserId(p.userId), pinOf(event))),
  },
  'GET /datasets/{dataset}/items/{key}': {
    method: 'GET',
    pattern: /^\/datasets\/([^/]+)\/items\/([^/]+)$/,
    params: ['dataset', 'key'],
    run: async (event, p) => {
      const d = await datasetNamed(p.dataset);
      const fields = parseFields(event.queryStringParameters?.fields);
      return json(200, await getRecord(d.reader, d.spec, parseKey(p.key), fields, pinOf(event)));
    },
  },
  'POST /datasets/{dataset}/batch-get': {
    method: 'POST',
    pattern: /^\/datasets\/([^/]+)\/batch-get$/,
    params: ['dataset'],
    run: async (event, p) => {
      const d = await datasetNamed(p.dataset);
      const keys = parseBatchKeys(body(event));
      const fields = parseFields(event.queryStringParameters?.fields);
      return json(200, await batchGet(d.reader, d.spec, keys, fields, pinOf(event)));
    },
  },
};

/** The routes this handler answers; the template must declare exactly these. */
export const ROUTE_KEYS = Object.keys(routes);
const ROUTES = Object.values(routes);

/** The route and its parameters: by routeKey from API Gateway, or by method and path (local server, hand-made events). */
function match(event: APIGatewayProxyEventV2): { route: Route; params: Params } | undefined {
  const byKey = event.routeKey ? routes[event.routeKey] : undefined;
  if (byKey) return { route: byKey, params: (event.pathParameters ?? {}) as Params };
  const method = event.requestContext?.http?.method ?? 'GET';
  const path = event.rawPath ?? '';
  for (const route of ROUTES) {
    const m = route.method === method ? route.pattern.exec(path) : null;
    if (!m) continue;
    const params: Params = {};
    // API Gateway decodes path parameters itself; here the same strict decoding as the query's.
    for (let i = 0; i < route.params.length; i++) params[route.params[i]!] = decodeUrlComponent(m[i + 1]!, 'the path');
    return { route, params };
  }
  return undefined;
}

async function readApi(event: APIGatewayProxyEventV2, _context: Context): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    const found = match(event);
    if (!found) return json(404, { error: { code: 'not_found', message: 'no such route' } });
    return await found.route.run(event, found.params);
  } catch (err) {
    const response = errorResponse(err);
    if (response.statusCode && response.statusCode >= 500) {
      metrics.addMetric('ReadErrors', MetricUnit.Count, 1);
      logger.error('read failed', { errorName: (err as Error)?.name, errorMessage: (err as Error)?.message, path: event.rawPath });
    }
    return response;
  }
}

// No middy and no logMetrics middleware on this path: on every request middy builds a request
// object and an AbortController, and logMetrics would print an empty metrics blob. Read errors
// are flushed explicitly when there are any.
export async function handler(event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    return await readApi(event, context);
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
}
