// GET /recommendations?userId=&rank=  and  GET /users/{userId}/recommendations
// API Gateway HTTP API, payload format 2.0.
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { parseRank, parseUserId } from '../domain/read-request.js';
import { rankedItem, userItems } from '../pipeline/read-recommendations.js';
import { errorResponse, json } from './http-errors.js';
import { logger, metrics, MetricUnit } from './observability.js';
import { runtime } from './runtime.js';

type Route = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

const routes: Record<string, Route> = {
  'GET /recommendations': async (event) => {
    const q = event.queryStringParameters ?? {};
    const userId = parseUserId(q.userId);
    const rank = parseRank(q.rank);
    return json(200, await rankedItem((await runtime()).defaultDataset.reader, userId, rank));
  },
  'GET /users/{userId}/recommendations': async (event) => {
    const userId = parseUserId(event.pathParameters?.userId);
    return json(200, await userItems((await runtime()).defaultDataset.reader, userId));
  },
};

/** The route for an event: its routeKey, or (for hand-made events) the method and path. */
function routeOf(event: APIGatewayProxyEventV2): Route | undefined {
  if (event.routeKey && routes[event.routeKey]) return routes[event.routeKey];
  const method = event.requestContext?.http?.method ?? 'GET';
  const path = event.rawPath ?? '';
  if (method === 'GET' && path === '/recommendations') return routes['GET /recommendations'];
  const m = /^\/users\/([^/]+)\/recommendations$/.exec(path);
  if (method === 'GET' && m) {
    event.pathParameters = { ...event.pathParameters, userId: safeDecode(m[1]!) };
    return routes['GET /users/{userId}/recommendations'];
  }
  return undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

async function readApi(event: APIGatewayProxyEventV2, _context: Context): Promise<APIGatewayProxyStructuredResultV2> {
  const route = routeOf(event);
  if (!route) return json(404, { error: { code: 'not_found', message: 'no such route' } });
  try {
    return await route(event);
  } catch (err) {
    const response = errorResponse(err);
    if (response.statusCode && response.statusCode >= 500) {
      metrics.addMetric('ReadErrors', MetricUnit.Count, 1);
      logger.error('read failed', { errorName: (err as Error)?.name, errorMessage: (err as Error)?.message, path: event.rawPath });
    }
    return response;
  }
}

// No logMetrics middleware here: it would print an empty metrics blob on every request.
// Read errors are flushed explicitly when there are any.
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(readApi).after(() => {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
});
