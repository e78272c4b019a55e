// Lua run on the dataset's control slot: each is one atomic step of a version's life.
// KEYS are all under the {sluice:<dataset>} hash tag. The pointer is JSON
// {"version","orderKey","buckets"} so a swap compares order keys without another lookup.
// The scripts that fail a load or delete a version carry `flags=allow-oom`: they must work when
// Redis is full (maxmemory with noeviction refuses other writes then), since deleting is how
// memory comes back.

/** KEYS: version, versions, current, lock. ARGV: id, orderKey, owner, lockTtlMs, field/value pairs... */
export const REGISTER = `
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'loading' and redis.call('EXISTS', KEYS[4]) == 1 then return {'duplicate', status} end
if status and status ~= 'loading' and status ~= 'failed' then return {'duplicate', status} end
local cur = redis.call('GET', KEYS[3])
if cur then
  local p = cjson.decode(cur)
  if tonumber(p.orderKey) >= tonumber(ARGV[2]) then return {'stale', p.version} end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'status', 'loading', 'orderKey', ARGV[2], 'owner', ARGV[3], unpack(ARGV, 5))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('SET', KEYS[4], ARGV[3], 'PX', ARGV[4])
return {'registered', status or ''}
`;

/** KEYS: version. ARGV: owner. Returns status, owner, buckets (or nils). */
export const CHECK_OWNER = `
local v = redis.call('HMGET', KEYS[1], 'status', 'owner', 'buckets')
if v[1] ~= 'loading' or v[2] ~= ARGV[1] then return {'not-loading', v[1] or 'missing'} end
return {'ok', v[3]}
`;

/** KEYS: version, chunkResults. ARGV: owner, chunk index, result JSON. */
export const RECORD_CHUNK = `
local v = redis.call('HMGET', KEYS[1], 'status', 'owner')
if v[1] ~= 'loading' or v[2] ~= ARGV[1] then return v[1] or 'missing' end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 'ok'
`;

/** KEYS: version. ARGV: field/value pairs. Sets them only on an existing version. */
export const SET_FIELDS = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'missing' end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 'ok'
`;

/**
 * KEYS: version, current, lock, previous version (the version key again when none).
 * ARGV: id, owner ('' = any), expected pointer ('' = none), new pointer, now, force ('1'/'0'),
 *       required status, field/value pairs...
 */
export const SWAP = `
local cur = redis.call('GET', KEYS[2]) or ''
if cur ~= ARGV[3] then return {'conflict', ''} end
local v = redis.call('HMGET', KEYS[1], 'status', 'owner', 'orderKey')
local prev = ''
if cur ~= '' then prev = cjson.decode(cur).version end
if prev == ARGV[1] then return {'already-live', prev} end
if v[1] ~= ARGV[7] then return {'wrong-status', v[1] or 'missing'} end
if ARGV[2] ~= '' and v[2] ~= ARGV[2] then return {'wrong-owner', v[2] or ''} end
if cur ~= '' and ARGV[6] ~= '1' then
  if tonumber(cjson.decode(cur).orderKey) >= tonumber(v[3]) then
    redis.call('HSET', KEYS[1], 'status', 'refused', 'refusedAt', ARGV[5], 'refusedBy', prev)
    redis.call('DEL', KEYS[3])
    return {'refused', prev}
  end
end
redis.call('SET', KEYS[2], ARGV[4])
redis.call('HSET', KEYS[1], 'status', 'live', 'committedAt', ARGV[5], unpack(ARGV, 8))
redis.call('HDEL', KEYS[1], 'supersededAt')
if prev ~= '' then redis.call('HSET', KEYS[4], 'status', 'superseded', 'supersededAt', ARGV[5]) end
redis.call('DEL', KEYS[3])
return {'swapped', prev}
`;

/** KEYS: version, lock. ARGV: owner, now, error. Only a loading version of this owner can fail. */
export const MARK_FAILED = `#!lua flags=allow-oom
local v = redis.call('HMGET', KEYS[1], 'status', 'owner')
if v[1] ~= 'loading' or v[2] ~= ARGV[1] then return v[1] or 'missing' end
redis.call('HSET', KEYS[1], 'status', 'failed', 'failedAt', ARGV[2], 'error', ARGV[3])
redis.call('DEL', KEYS[2])
return 'failed'
`;

/** KEYS: version. Claims a superseded version for deletion so a rollback cannot revive it meanwhile. */
export const BEGIN_RETIRE = `#!lua flags=allow-oom
local s = redis.call('HGET', KEYS[1], 'status')
if s == 'superseded' then redis.call('HSET', KEYS[1], 'status', 'retiring') return 'retiring' end
if s == 'retiring' or s == 'failed' or s == 'refused' then return s end
return s or 'missing'
`;

/** KEYS: version, versions, chunkResults, chunkPlan. ARGV: id, now, metadata ttl seconds. */
export const FINISH_DELETE = `#!lua flags=allow-oom
local s = redis.call('HGET', KEYS[1], 'status')
if s == 'retiring' then redis.call('HSET', KEYS[1], 'status', 'retired', 'retiredAt', ARGV[2]) end
redis.call('HSET', KEYS[1], 'dataDeletedAt', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3], KEYS[4])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return s or 'missing'
`;
