// Errors to API responses. Only messages we wrote for the caller are shown (4xx); a 5xx says
// what kind of trouble it is, never what an internal error said.
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { toJsonText } from '../domain/stored-json.js';
import { InvalidInputError, NoLiveVersionError, NotFoundError, TransientError, VersionNotFoundError } from '../errors.js';

export function json(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: toJsonText(body),
  };
}

export function errorResponse(err: unknown): APIGatewayProxyStructuredResultV2 {
  const error = (code: string, message: string) => ({ error: { code, message } });
  if (err instanceof InvalidInputError) return json(400, error('bad_request', err.message));
  if (err instanceof VersionNotFoundError) return json(404, error('version_not_found', err.message));
  if (err instanceof NotFoundError) return json(404, error('not_found', err.message));
  if (err instanceof NoLiveVersionError) return json(503, error('no_live_version', 'no version of this dataset is live yet'));
  if (err instanceof TransientError) return json(503, error('unavailable', 'the data store is unavailable; retry shortly'));
  return json(500, error('internal_error', 'internal error'));
}
