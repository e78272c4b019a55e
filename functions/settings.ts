// Every setting of Sluice, defined once: the environment variable the code reads, the template
// parameter that sets it in a stack, its type, default, range and a one-line description.
// functions/config.ts reads and range-checks through it; docs/configuration.md is generated from
// it (`npm run docs:config`); tests hold template.yaml's Parameters, ParameterGroups and each
// function's Environment to it. A dataset's own settings are not here: they are members of its
// declaration in datasets.json (functions/domain/dataset-spec.ts), bundled into the functions.
import { MAX_MAP_ITEMS } from './domain/chunk-plan.js';
import { ALWAYS_SERVABLE_RECORD_BYTES } from './domain/response-limit.js';

/** Groups of the docs' tables and of the template's ParameterGroups, in this order. */
export const SETTING_GROUPS = ['Network', 'Input', 'Load', 'Cache', 'Redis connection', 'Reads and API', 'Operations', 'Local runs and the CLI'] as const;
type SettingGroup = (typeof SETTING_GROUPS)[number];

/**
 * Who reads it: `functions` (config.ts at cold start, and the CLI, which runs the handlers),
 * `cli` (the sluice command only), `library` (Powertools, Node), `template` (a parameter
 * CloudFormation resolves; no code reads it).
 */
type ReadBy = 'functions' | 'cli' | 'library' | 'template';

export interface Setting {
  /** The environment variable; absent for a template parameter no code reads. */
  readonly env?: string;
  /** The template parameter that sets it in a stack, if any. */
  readonly parameter?: string;
  readonly type: 'integer' | 'number' | 'boolean' | 'choice' | 'string' | 'list';
  /** Absent: required (a parameter without Default), or unset means "none". */
  readonly default?: string | number | boolean;
  /** Shown in the docs instead of `default` when the default depends on other settings. */
  readonly defaultText?: string;
  readonly min?: number;
  readonly max?: number;
  /** A stack may be stricter than the code (the template's MinValue), e.g. a deployed read times out after 5 s. */
  readonly parameterMin?: number;
  readonly values?: readonly string[];
  /** One sentence; also the first sentence of the template parameter's Description. */
  readonly description: string;
  readonly group: SettingGroup;
  readonly readBy: ReadBy;
}

const MiB = 1024 * 1024;

export const SETTINGS = [
  // --- Network -------------------------------------------------------------------------------
  { parameter: 'VpcId', type: 'string', description: 'VPC that holds the private subnets.', group: 'Network', readBy: 'template' },
  {
    parameter: 'PrivateSubnetIds',
    type: 'list',
    description: 'Private subnets for the functions and the cache, in at least two Availability Zones (Multi-AZ needs two), none in a zone Lambda does not support (us-east-1: use1-az3).',
    group: 'Network',
    readBy: 'template',
  },
  {
    parameter: 'PrivateRouteTableIds',
    type: 'list',
    default: '',
    description: 'Route tables of those subnets (required with S3Route=gateway-endpoint), to which an S3 gateway endpoint is added (a route; the tables are neither replaced nor detached).',
    group: 'Network',
    readBy: 'template',
  },
  {
    parameter: 'S3Route',
    type: 'choice',
    default: 'gateway-endpoint',
    values: ['gateway-endpoint', 'existing'],
    description: "How the functions' subnets reach S3: gateway-endpoint adds an S3 gateway endpoint to PrivateRouteTableIds; existing means those route tables already route S3 to a gateway endpoint (a table takes only one) or to a NAT gateway.",
    group: 'Network',
    readBy: 'template',
  },
  {
    parameter: 'CreateSecretsManagerEndpoint',
    type: 'choice',
    values: ['true', 'false'],
    default: 'true',
    description: 'With CacheAuthMode=auth-token, create a Secrets Manager interface endpoint so functions can read the AUTH token without a NAT gateway.',
    group: 'Network',
    readBy: 'template',
  },
  // --- Input ---------------------------------------------------------------------------------
  { parameter: 'PredictionsBucket', type: 'string', description: 'S3 bucket the transform jobs write to (S3OutputPath).', group: 'Input', readBy: 'template' },
  {
    parameter: 'PredictionsPrefix',
    type: 'string',
    default: '',
    description: 'Key prefix inside the bucket the functions may read (e.g. "recs/"); empty means the whole bucket.',
    group: 'Input',
    readBy: 'template',
  },
  {
    parameter: 'PredictionsKmsKeyArn',
    type: 'string',
    default: '',
    description: "KMS key ARN if the transform output and the bucket's default encryption use a customer managed key (TransformOutput.KmsKeyId); the functions may decrypt with it, and the admin function encrypt the erasure log it writes there. Empty otherwise.",
    group: 'Input',
    readBy: 'template',
  },
  {
    parameter: 'TransformJobNamePrefix',
    type: 'string',
    default: '',
    description: 'React only to transform jobs whose name starts with this; empty means every completed job in the account and Region.',
    group: 'Input',
    readBy: 'template',
  },
  {
    parameter: 'TransformInputBucket',
    type: 'string',
    default: '',
    description: 'Bucket the transform jobs read their input from, which Plan may list and read for the input-completeness check; empty grants nothing.',
    group: 'Input',
    readBy: 'template',
  },
  {
    parameter: 'TransformInputPrefix',
    type: 'string',
    default: '',
    description: 'Key prefix inside TransformInputBucket that Plan may list and read; empty means the whole bucket.',
    group: 'Input',
    readBy: 'template',
  },
  {
    env: 'INPUT_FORMAT',
    parameter: 'InputFormat',
    type: 'choice',
    values: ['auto', 'jsonl', 'json', 'csv', 'parquet'],
    default: 'auto',
    description: 'Input format of the output objects; auto recognises JSON Lines, a JSON document, CSV or Parquet per object (gzip by its magic bytes in any case).',
    group: 'Input',
    readBy: 'functions',
  },
  {
    env: 'OBJECT_SUFFIX',
    parameter: 'ObjectSuffix',
    type: 'list',
    default: '',
    description: 'Optional comma-separated suffixes that narrow the objects loaded under the output path; empty loads every data object, skipping markers, checksums, manifests and hidden files.',
    group: 'Input',
    readBy: 'functions',
  },
  // --- Load ----------------------------------------------------------------------------------
  {
    env: 'CHUNK_SIZE_BYTES',
    parameter: 'ChunkSizeBytes',
    type: 'integer',
    default: 64 * MiB,
    min: 1,
    max: 4096 * MiB,
    parameterMin: MiB,
    description: 'Bytes per chunk (one LoadChunk invocation each); small objects are packed together.',
    group: 'Load',
    readBy: 'functions',
  },
  {
    env: 'MAX_CHUNKS',
    type: 'integer',
    default: MAX_MAP_ITEMS,
    min: 1,
    max: MAX_MAP_ITEMS,
    description: "The most chunks a load is cut into; Plan grows the chunk size to fit, and the bound is what one execution's history holds (Step Functions keeps 25,000 events).",
    group: 'Load',
    readBy: 'functions',
  },
  {
    env: 'MAP_CONCURRENCY',
    parameter: 'MapConcurrency',
    type: 'integer',
    default: 10,
    min: 1,
    max: 40,
    description: 'Chunks loaded at once (an inline Map runs at most 40); each worker opens one connection per Redis node.',
    group: 'Load',
    readBy: 'functions',
  },
  {
    env: 'MAX_BAD_RECORD_RATIO',
    parameter: 'MaxBadRecordRatio',
    type: 'number',
    default: 0.01,
    min: 0,
    max: 1,
    description: 'Fraction of malformed or keyless records tolerated; above it the load fails before the swap.',
    group: 'Load',
    readBy: 'functions',
  },
  {
    env: 'MAX_RECORD_BYTES',
    type: 'integer',
    default: ALWAYS_SERVABLE_RECORD_BYTES,
    min: 1024,
    max: Number.MAX_SAFE_INTEGER,
    description: "Longer records are counted as bad; the default is the largest record whose answer always fits Lambda's 6 MB response.",
    group: 'Load',
    readBy: 'functions',
  },
  {
    env: 'MAX_ROW_GROUP_BYTES',
    type: 'integer',
    default: 256 * MiB,
    min: 1024,
    max: Number.MAX_SAFE_INTEGER,
    description: 'Parquet row groups larger than this (uncompressed) are refused at Plan: a worker decodes one whole.',
    group: 'Load',
    readBy: 'functions',
  },
  { env: 'WRITE_BATCH_SIZE', type: 'integer', default: 1000, min: 1, max: 100_000, description: 'Commands per pipeline.', group: 'Load', readBy: 'functions' },
  {
    env: 'WRITE_BATCHES_IN_FLIGHT',
    type: 'integer',
    default: 4,
    min: 1,
    max: 64,
    description: 'Pipelines in flight per worker; reading pauses beyond this (bounded memory).',
    group: 'Load',
    readBy: 'functions',
  },
  {
    env: 'RETAIN_VERSIONS',
    parameter: 'RetainVersions',
    type: 'integer',
    default: 2,
    min: 1,
    max: 100,
    description: 'Versions kept (the live one included; at most one of them held). Redis must hold max(RetainVersions, 2) + 1 copies of each dataset (one for the load).',
    group: 'Load',
    readBy: 'functions',
  },
  {
    env: 'GRACE_SECONDS',
    parameter: 'GraceSeconds',
    type: 'integer',
    default: 60,
    min: 0,
    max: 86_400,
    parameterMin: 10,
    description: "Wait after a swap before old versions are deleted; must exceed the readers' pointer cache plus one request.",
    group: 'Load',
    readBy: 'functions',
  },
  {
    env: 'LOAD_STALE_SECONDS',
    type: 'integer',
    default: 300,
    min: 1,
    max: 3600,
    description: 'A load whose workers have not heartbeaten for this long is stale (its process stopped); workers heartbeat every quarter of it.',
    group: 'Load',
    readBy: 'functions',
  },
  // --- Cache ---------------------------------------------------------------------------------
  {
    parameter: 'CacheNodeType',
    type: 'string',
    default: 'cache.r7g.large',
    description: 'ElastiCache node type; avoid burstable (t4g) nodes in production, bulk loads exhaust their CPU credits.',
    group: 'Cache',
    readBy: 'template',
  },
  { parameter: 'CacheShards', type: 'integer', default: 2, min: 1, max: 500, description: 'Number of shards (node groups); data keys spread over all of them.', group: 'Cache', readBy: 'template' },
  {
    parameter: 'CacheReplicasPerShard',
    type: 'integer',
    default: 1,
    min: 1,
    max: 5,
    description: 'Replicas per shard; at least 1 for automatic failover and Multi-AZ.',
    group: 'Cache',
    readBy: 'template',
  },
  {
    parameter: 'CacheAuthMode',
    type: 'choice',
    values: ['iam', 'auth-token'],
    default: 'iam',
    description: "iam: the functions connect as an ElastiCache user limited to Sluice's keys and commands, with IAM authentication tokens; auth-token: one AUTH token in Secrets Manager.",
    group: 'Cache',
    readBy: 'template',
  },
  {
    parameter: 'CacheUserId',
    type: 'string',
    default: 'sluice',
    description: 'With CacheAuthMode=iam, the id (and name) of the ElastiCache user the functions connect as; unique per account and Region.',
    group: 'Cache',
    readBy: 'template',
  },
  // --- Redis connection (set by the template from the cache it creates) ---------------------
  { env: 'REDIS_HOST', type: 'string', default: '127.0.0.1', description: 'A cluster node or the ElastiCache configuration endpoint.', group: 'Redis connection', readBy: 'functions' },
  { env: 'REDIS_PORT', type: 'integer', default: 6379, min: 1, max: 65535, description: 'Its port.', group: 'Redis connection', readBy: 'functions' },
  { env: 'REDIS_TLS', type: 'boolean', default: true, description: 'TLS to Redis; false only for a local cluster.', group: 'Redis connection', readBy: 'functions' },
  {
    env: 'REDIS_TLS_CA_FILE',
    type: 'string',
    description: "PEM file of the CA behind the cluster's certificates, for self-signed clusters (ElastiCache needs none).",
    group: 'Redis connection',
    readBy: 'functions',
  },
  {
    env: 'REDIS_AUTH_MODE',
    type: 'choice',
    values: ['password', 'iam'],
    default: 'password',
    description: 'password: REDIS_USERNAME with REDIS_PASSWORD or the secret; iam: ElastiCache IAM authentication tokens signed with the role (needs REDIS_TLS=true).',
    group: 'Redis connection',
    readBy: 'functions',
  },
  { env: 'REDIS_IAM_USER', type: 'string', description: 'With iam: the ElastiCache user id (= user name) to connect as.', group: 'Redis connection', readBy: 'functions' },
  {
    env: 'REDIS_REPLICATION_GROUP_ID',
    type: 'string',
    description: 'With iam: the replication group the token is signed for.',
    group: 'Redis connection',
    readBy: 'functions',
  },
  { env: 'REDIS_USERNAME', type: 'string', description: 'ACL user, if any (password mode).', group: 'Redis connection', readBy: 'functions' },
  { env: 'REDIS_PASSWORD', type: 'string', description: 'Password or AUTH token (local use).', group: 'Redis connection', readBy: 'functions' },
  {
    env: 'REDIS_PASSWORD_SECRET_ARN',
    type: 'string',
    description: 'Secrets Manager secret holding the password (a plain string, or JSON with "password").',
    group: 'Redis connection',
    readBy: 'functions',
  },
  {
    env: 'REDIS_COMMAND_TIMEOUT_MS',
    type: 'integer',
    default: 1000,
    min: 10,
    max: 60_000,
    description: 'Per-command timeout; readers answer 503 after it.',
    group: 'Redis connection',
    readBy: 'functions',
  },
  {
    env: 'REDIS_REPLICA_ACK_TIMEOUT_MS',
    type: 'integer',
    default: 10_000,
    min: 0,
    max: 600_000,
    description:
      'How long a chunk and a commit wait for the replicas of every master they wrote to (WAIT) before failing with TransientError; 0 skips the wait (only for the tests that show what it prevents).',
    group: 'Redis connection',
    readBy: 'functions',
  },
  {
    env: 'REDIS_REPLICA_FALLBACK_MS',
    type: 'integer',
    default: 150,
    defaultText: '150 (at most half of REDIS_COMMAND_TIMEOUT_MS)',
    min: 1,
    max: 60_000,
    description: "A read the slot's master has not answered within this is also asked of a replica; must be below REDIS_COMMAND_TIMEOUT_MS.",
    group: 'Redis connection',
    readBy: 'functions',
  },
  // --- Reads and API -------------------------------------------------------------------------
  {
    env: 'POINTER_CACHE_MS',
    type: 'integer',
    default: 1000,
    min: 0,
    max: 60_000,
    description: 'How long a read container caches the live pointer.',
    group: 'Reads and API',
    readBy: 'functions',
  },
  {
    parameter: 'ApiAuthorization',
    type: 'choice',
    values: ['AWS_IAM', 'JWT', 'NONE'],
    default: 'AWS_IAM',
    description: 'AWS_IAM requires SigV4-signed requests, JWT a bearer token from ApiJwtIssuer, NONE makes the API public (throttled only) and must be chosen explicitly.',
    group: 'Reads and API',
    readBy: 'template',
  },
  {
    parameter: 'ApiJwtIssuer',
    type: 'string',
    default: '',
    description: 'With ApiAuthorization=JWT, the token issuer URL (e.g. https://cognito-idp.<region>.amazonaws.com/<pool id>); its discovery document must be public.',
    group: 'Reads and API',
    readBy: 'template',
  },
  {
    parameter: 'ApiJwtAudience',
    type: 'list',
    default: '',
    description: 'With ApiAuthorization=JWT (required then), the accepted audiences (aud or client_id claims), comma-separated.',
    group: 'Reads and API',
    readBy: 'template',
  },
  {
    parameter: 'ApiThrottlingRateLimit',
    type: 'integer',
    default: 1000,
    min: 1,
    description: 'Steady-state requests per second for the API stage.',
    group: 'Reads and API',
    readBy: 'template',
  },
  { parameter: 'ApiThrottlingBurstLimit', type: 'integer', default: 2000, min: 1, description: 'Burst capacity (requests) for the API stage.', group: 'Reads and API', readBy: 'template' },
  // --- Operations ----------------------------------------------------------------------------
  {
    parameter: 'AlarmEmail',
    type: 'string',
    default: '',
    description: 'E-mail address subscribed to the alarm topic and the cache events topic (confirm each subscription mail); empty for none.',
    group: 'Operations',
    readBy: 'template',
  },
  {
    parameter: 'LogRetentionDays',
    type: 'choice',
    values: ['1', '3', '5', '7', '14', '30', '60', '90', '180', '365'],
    default: '30',
    description: 'Days to keep function, state machine and API access logs.',
    group: 'Operations',
    readBy: 'template',
  },
  {
    parameter: 'MaxVersionAgeHours',
    type: 'integer',
    default: 36,
    min: 1,
    max: 8760,
    description: "The stale-data alarm fires when a dataset's live version is older than this many hours, counted from the end of its load.",
    group: 'Operations',
    readBy: 'template',
  },
  { env: 'POWERTOOLS_SERVICE_NAME', type: 'string', default: 'sluice', description: 'Service name in logs and metrics (Powertools).', group: 'Operations', readBy: 'library' },
  { env: 'POWERTOOLS_METRICS_NAMESPACE', type: 'string', default: 'Sluice', description: 'CloudWatch metrics namespace (Powertools).', group: 'Operations', readBy: 'library' },
  { env: 'POWERTOOLS_LOG_LEVEL', type: 'string', default: 'INFO', description: 'Log level (Powertools).', group: 'Operations', readBy: 'library' },
  { env: 'NODE_OPTIONS', type: 'string', description: "Node's own options; the template sets --enable-source-maps.", group: 'Operations', readBy: 'library' },
  // --- Local runs and the CLI ----------------------------------------------------------------
  {
    env: 'SLUICE_DATASETS_FILE',
    type: 'string',
    defaultText: 'datasets.json (the bundled file)',
    description: "A datasets file to use instead of the repository's datasets.json, for the CLI and tests; a stack uses the file bundled at build.",
    group: 'Local runs and the CLI',
    readBy: 'functions',
  },
  {
    env: 'ERASURE_LOG_URI',
    type: 'string',
    defaultText: 'the template: s3://<PredictionsBucket>/<PredictionsPrefix>sluice-erasures/',
    description: 'Where erase and unerase calls are logged durably (s3://bucket/prefix/), so tombstones outlive the cache; unset, erasure is refused.',
    group: 'Operations',
    readBy: 'functions',
  },
  {
    env: 'AWS_ENDPOINT_URL_S3',
    type: 'string',
    description: "The AWS SDK's S3 endpoint override; when set (a local S3), the client uses path-style URLs and checksums only when required.",
    group: 'Local runs and the CLI',
    readBy: 'functions',
  },
  { env: 'AWS_REGION', type: 'string', description: 'Region, set by Lambda; IAM authentication signs its token for it.', group: 'Local runs and the CLI', readBy: 'functions' },
  { env: 'AWS_DEFAULT_REGION', type: 'string', description: "The Region `--aws` commands use when neither --region nor AWS_REGION gives one.", group: 'Local runs and the CLI', readBy: 'cli' },
  { env: 'SLUICE_BUCKET', type: 'string', default: 'sluice-local', description: 'Bucket that `sluice ingest <file>` uploads to.', group: 'Local runs and the CLI', readBy: 'cli' },
  {
    env: 'SLUICE_CONNECT_TIMEOUT_MS',
    type: 'integer',
    default: 3000,
    min: 1,
    max: 600_000,
    description: 'How long a command waits for the cluster before it reports Redis unreachable.',
    group: 'Local runs and the CLI',
    readBy: 'cli',
  },
  { env: 'SLUICE_ADMIN_FUNCTION', type: 'string', description: 'The deployed AdminFunction that `--aws` commands invoke.', group: 'Local runs and the CLI', readBy: 'cli' },
  { env: 'SLUICE_STATE_MACHINE_ARN', type: 'string', description: 'The deployed state machine that `sluice ingest --aws` starts.', group: 'Local runs and the CLI', readBy: 'cli' },
] as const satisfies readonly Setting[];

type Registry = (typeof SETTINGS)[number];
/** A variable the code reads. */
export type SettingName = Extract<Registry, { env: string }>['env'];

const byEnv = new Map<string, Setting>(SETTINGS.flatMap((s: Setting) => (s.env ? [[s.env, s] as const] : [])));

/** The definition of a variable. */
export function settingOf(name: SettingName): Setting {
  return byEnv.get(name)!;
}

/** How a setting is named in an error: the parameter too when a stack sets it from one. */
export function settingLabel(name: SettingName): string {
  const parameter = settingOf(name).parameter;
  return parameter ? `parameter ${parameter} (${name})` : name;
}
