// Which Redis failures are worth retrying. The state machine retries on the name
// TransientError (and on Lambda's own errors); any other error fails the load at once. A
// dropped connection, a timeout or a cluster in the middle of a failover passes; a refused
// command (NOPERM, WRONGTYPE, OOM, a script error) does not.
import { TransientError } from '../errors.js';

/** Error replies a failover, resharding or restart produces. */
const TRANSIENT_REPLY = /^(CLUSTERDOWN|TRYAGAIN|MOVED|ASK|LOADING|MASTERDOWN|READONLY|NOREPLICAS)\b/;
/** What ioredis says when it could not get an answer at all. */
const NO_ANSWER = /Command timed out|Connection is closed|Stream isn't writeable|Too many Cluster redirections|Failed to refresh slots cache|Cluster isn't ready|None of startup nodes is available|max retries per request/i;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

function isTransientRedisError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof TransientError) return true;
  if (err.name === 'ReplyError') return TRANSIENT_REPLY.test(err.message);
  const code = (err as NodeJS.ErrnoException).code;
  return (code !== undefined && NETWORK_CODES.has(code)) || NO_ANSWER.test(err.message);
}

/** Runs one Redis call; a transient failure comes back as a TransientError (the cause kept). */
export async function guardRedis<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (isTransientRedisError(err) && !(err instanceof TransientError)) {
      throw new TransientError(`Redis did not answer: ${(err as Error).message}`, { cause: err });
    }
    throw err;
  }
}
