// Error names are part of the contract: Step Functions Retry/Catch match on `name`, and
// the API maps them to status codes. Rename one only together with ingest.asl.json.
// Each class spells its name as a literal string: a class's own name (`new.target.name`)
// survives only while the bundler keeps class names, and the Lambdas are bundled minified
// (tests/unit/error-names.test.ts holds the state machine's names to these).

export class SluiceError extends Error {
  override readonly name: string = 'SluiceError';
}

/** Configuration is missing or invalid; raised at cold start. */
export class ConfigError extends SluiceError {
  override readonly name: string = 'ConfigError';
}

/** The event or request is not something this function can act on. Never retried. */
export class InvalidInputError extends SluiceError {
  override readonly name: string = 'InvalidInputError';
}

/** The input data itself is unusable (truncated document, too many bad records...). Never retried. */
export class BadDataError extends SluiceError {
  override readonly name: string = 'BadDataError';

  constructor(
    message: string,
    readonly where?: { object?: string; offset?: number },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An input object changed (its ETag no longer matches the plan) while the load ran. */
export class InputChangedError extends SluiceError {
  override readonly name: string = 'InputChangedError';

  constructor(readonly object: string, readonly expectedEtag: string) {
    super(`s3://${object} changed during the load (planned ETag ${expectedEtag}); start a new load`);
  }
}

/** Too many malformed records: the load fails before the swap. */
export class TooManyBadRecordsError extends SluiceError {
  override readonly name: string = 'TooManyBadRecordsError';
}

/**
 * Redis cannot hold the load: refused by the pre-flight check before any data is written, or
 * Redis reached maxmemory while writing. Never retried: it needs memory freed or a bigger cache.
 */
export class InsufficientMemoryError extends SluiceError {
  override readonly name: string = 'InsufficientMemoryError';
}

/** Redis or S3 did not answer; worth retrying. The state machine retries on this name. */
export class TransientError extends SluiceError {
  override readonly name: string = 'TransientError';
}

/**
 * A load would need more chunks than one execution can run, even with chunks grown to their
 * largest. Never retried: the same input plans the same way.
 */
export class TooManyChunksError extends SluiceError {
  override readonly name: string = 'TooManyChunksError';

  constructor(
    message: string,
    readonly counts: { needed: number; limit: number },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * No connection to S3 could be opened: from a VPC, the functions' subnets have no route to S3
 * (no S3 gateway endpoint on their route tables, no NAT). Not retried: the route will not appear
 * by itself, and waiting out the function's timeout only hides the cause.
 */
export class S3UnreachableError extends SluiceError {
  override readonly name: string = 'S3UnreachableError';
}

/** The version is not in the state the caller expects (e.g. a chunk for a version that already failed). */
export class VersionStateError extends SluiceError {
  override readonly name: string = 'VersionStateError';
}

/**
 * The load was stopped on request (Ctrl-C on a local run): the chunk stopped reading and let its
 * writes in flight land. Never retried, so the state machine goes to Cleanup.
 */
export class InterruptedError extends SluiceError {
  override readonly name: string = 'InterruptedError';
}

/** There is nothing live to read from. */
export class NoLiveVersionError extends SluiceError {
  override readonly name: string = 'NoLiveVersionError';
}

/** The requested record does not exist in the live version. */
export class NotFoundError extends SluiceError {
  override readonly name: string = 'NotFoundError';
}

/** A read pinned to a version that cannot answer: unknown, loading, failed, retired, discarded... */
export class VersionNotFoundError extends NotFoundError {
  override readonly name: string = 'VersionNotFoundError';
}

/**
 * A put (corrections) held records that a load would count as bad: the whole put is refused and
 * nothing of it is written. `records` names each by its position in the request and says why.
 */
export class BadRecordsError extends InvalidInputError {
  constructor(
    message: string,
    readonly records: { index: number; reason: string }[],
  ) {
    super(message);
  }

  override readonly name: string = 'BadRecordsError';
}

/**
 * A put named keys that are erased (tombstoned, invariant 11): the whole put is refused and
 * nothing of it is logged or written. `keys` names them.
 */
export class ErasedKeysError extends InvalidInputError {
  constructor(
    message: string,
    readonly keys: string[],
  ) {
    super(message);
  }

  override readonly name: string = 'ErasedKeysError';
}

/**
 * A correction was logged while a version was being made ready to go live: the swap was refused
 * so that the new correction is applied first. Retried by the caller (and, past its bound, by the
 * state machine: it is transient).
 */
export class CorrectionsMovedError extends TransientError {
  override readonly name: string = 'CorrectionsMovedError';
}
