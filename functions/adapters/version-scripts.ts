// Lua run on the dataset's control slot: each is one atomic step of a version's life.
// KEYS are all under the {sluice:<dataset>} hash tag. The pointer is JSON
// {"version","orderKey","buckets"} so a swap compares order keys without another lookup.
// The scripts that fail a load or delete a version carry `flags=allow-oom`: they must work when
// Redis is full (maxmemory with noeviction refuses other writes then), since deleting is how
// memory comes back.

/**
 * A loading version's lock is alive while its key exists (SET ... PX lockTtlMs, Redis's clock)
 * and its `lockUntil` field (now + lockTtlMs, stamped with the caller's clock by REGISTER and
 * HEARTBEAT) is still ahead of the caller's `now`. With the real clock the two agree (the key
 * is the backstop); a movable clock (the local runner's, tests') can make a load stale without
 * waiting for the key to expire. A version without lockUntil (registered before it existed)
 * goes by the key alone. Used by REGISTER, BEGIN_DELETE and DISCARD for a loading version;
 * a deletion's claim (any other status) is alive while its key exists.
 */
const LOAD_LOCK_ALIVE = `
local function loadLockAlive(versionKey, lockKey, now)
  if redis.call('EXISTS', lockKey) == 0 then return false end
  local untilMs = tonumber(redis.call('HGET', versionKey, 'lockUntil'))
  return untilMs == nil or untilMs > tonumber(now)
end
`;

/**
 * KEYS: version, versions, current, lock. ARGV: id, orderKey, owner, lockTtlMs, now, field/value pairs...
 * The lock is held by a running load (refreshed by its heartbeats; alive as LOAD_LOCK_ALIVE says)
 * or by a deletion in progress: either way the version is busy, except to the owner that
 * registered it (a retried Plan, which has written nothing yet). A loading version without a
 * live lock is an abandoned load: the caller must clean it up (its data keys) before loading the
 * version again.
 */
export const REGISTER = `${LOAD_LOCK_ALIVE}
local status = redis.call('HGET', KEYS[1], 'status')
local lock = redis.call('GET', KEYS[4])
-- A loading version's lock counts only while it is alive; a lock on any other status is a deletion's claim.
if status == 'loading' and not loadLockAlive(KEYS[1], KEYS[4], ARGV[5]) then lock = false end
-- This execution's own registration, retried because its first answer was lost: register again.
local retried = lock == ARGV[3] and status == 'loading' and redis.call('HGET', KEYS[1], 'owner') == ARGV[3]
if not retried then
  if lock then
    if status == 'loading' then return {'duplicate', status} end
    return {'duplicate', 'being deleted'}
  end
  if status == 'loading' then return {'abandoned', status} end
  if status and status ~= 'failed' and status ~= 'discarded' then return {'duplicate', status} end
end
local cur = redis.call('GET', KEYS[3])
if cur then
  local p = cjson.decode(cur)
  if tonumber(p.orderKey) >= tonumber(ARGV[2]) then return {'stale', p.version} end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'status', 'loading', 'orderKey', ARGV[2], 'owner', ARGV[3], 'lockUntil', string.format('%.0f', tonumber(ARGV[5]) + tonumber(ARGV[4])), unpack(ARGV, 6))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('SET', KEYS[4], ARGV[3], 'PX', ARGV[4])
return {'registered', status or ''}
`;

/**
 * KEYS: version, lock. ARGV: owner, now, lockTtlMs. A running load says it is alive: its lock
 * lives on (the key and lockUntil, see LOAD_LOCK_ALIVE).
 */
export const HEARTBEAT = `
local v = redis.call('HMGET', KEYS[1], 'status', 'owner')
if v[1] ~= 'loading' or v[2] ~= ARGV[1] then return v[1] or 'missing' end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
redis.call('HSET', KEYS[1], 'heartbeatAt', ARGV[2], 'lockUntil', string.format('%.0f', tonumber(ARGV[2]) + tonumber(ARGV[3])))
return 'ok'
`;

/**
 * KEYS: version, current, lock. ARGV: owner, now, reason, field/value pairs...
 * A complete load that must not go live unattended (a failed check, manual approval) is kept
 * as 'held': the pointer is untouched. Only a loading version of this owner can be held (a
 * retried Commit of this owner finds it held already: the same answer); one ordered at or
 * before the live version could never be promoted and is refused like a commit.
 */
export const HOLD = `
local v = redis.call('HMGET', KEYS[1], 'status', 'owner', 'orderKey')
local cur = redis.call('GET', KEYS[2])
local live = ''
if cur then live = cjson.decode(cur).version end
if v[1] == 'held' and v[2] == ARGV[1] then return {'held', live} end
if v[1] ~= 'loading' or v[2] ~= ARGV[1] then return {'wrong-status', v[1] or 'missing'} end
if cur then
  local p = cjson.decode(cur)
  if tonumber(p.orderKey) >= tonumber(v[3]) then
    redis.call('HSET', KEYS[1], 'status', 'refused', 'refusedAt', ARGV[2], 'refusedBy', live)
    redis.call('DEL', KEYS[3])
    return {'refused', live}
  end
end
redis.call('HSET', KEYS[1], 'status', 'held', 'heldAt', ARGV[2], 'heldReason', ARGV[3], unpack(ARGV, 4))
redis.call('DEL', KEYS[3])
return {'held', live}
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
 * KEYS: version, current, lock, previous version (the version key again when none),
 *       correction log generation.
 * ARGV: id, owner ('' = any), expected pointer ('' = none), new pointer, now, force ('1'/'0'),
 *       required status, corrections generation applied ('' = no check), field/value pairs...
 * Returns {outcome, the live version before}: swapped, already-live, refused, superseded (a
 * commit of this owner swapped before and was replaced since), conflict, wrong-status, wrong-owner,
 * corrections-moved.
 */
export const SWAP = `
local cur = redis.call('GET', KEYS[2]) or ''
if cur ~= ARGV[3] then return {'conflict', ''} end
local v = redis.call('HMGET', KEYS[1], 'status', 'owner', 'orderKey')
local prev = ''
if cur ~= '' then prev = cjson.decode(cur).version end
if prev == ARGV[1] then return {'already-live', prev} end
if v[1] ~= ARGV[7] then
  -- A retried commit whose earlier attempt swapped (committedAt: a held version retired
  -- unpromoted has none), and a newer version has gone live since.
  -- (One refused earlier never gets here: commitVersion answers it from the metadata.)
  if ARGV[7] == 'loading' and ARGV[2] ~= '' and v[2] == ARGV[2] and (v[1] == 'superseded' or v[1] == 'retiring' or v[1] == 'retired')
    and redis.call('HEXISTS', KEYS[1], 'committedAt') == 1 then
    return {'superseded', prev}
  end
  return {'wrong-status', v[1] or 'missing'}
end
if ARGV[2] ~= '' and v[2] ~= ARGV[2] then return {'wrong-owner', v[2] or ''} end
if cur ~= '' and ARGV[6] ~= '1' then
  if tonumber(cjson.decode(cur).orderKey) >= tonumber(v[3]) then
    redis.call('HSET', KEYS[1], 'status', 'refused', 'refusedAt', ARGV[5], 'refusedBy', prev)
    redis.call('DEL', KEYS[3])
    return {'refused', prev}
  end
end
-- Corrections (invariant 12): the caller applied the correction log up to generation ARGV[8].
-- A put logged since then may have missed this version (it wrote to the live one): refuse, so
-- the caller applies it and tries again. A put after this swap sees this version live.
if ARGV[8] ~= '' and (redis.call('GET', KEYS[5]) or '0') ~= ARGV[8] then return {'corrections-moved', prev} end
redis.call('SET', KEYS[2], ARGV[4])
redis.call('HSET', KEYS[1], 'status', 'live', 'committedAt', ARGV[5], unpack(ARGV, 9))
redis.call('HDEL', KEYS[1], 'supersededAt')
if prev ~= '' then redis.call('HSET', KEYS[4], 'status', 'superseded', 'supersededAt', ARGV[5]) end
redis.call('DEL', KEYS[3])
return {'swapped', prev}
`;

/**
 * KEYS: version, lock. ARGV: owner, now, error. Only a loading version of this owner can fail.
 * Returns {'ours' or 'not-ours', status}; one this owner failed before (a retried Cleanup) is
 * 'ours' again, unchanged; one another execution failed is not.
 */
export const MARK_FAILED = `#!lua flags=allow-oom
local v = redis.call('HMGET', KEYS[1], 'status', 'owner')
if v[1] == 'failed' and v[2] == ARGV[1] then return {'ours', 'failed'} end
if v[1] ~= 'loading' or v[2] ~= ARGV[1] then return {'not-ours', v[1] or 'missing'} end
redis.call('HSET', KEYS[1], 'status', 'failed', 'failedAt', ARGV[2], 'error', ARGV[3])
redis.call('DEL', KEYS[2])
return {'ours', 'failed'}
`;

/**
 * KEYS: version, lock. ARGV: token, ttlMs, now, error for an abandoned load.
 * Claims a version for deleting its data: the lock (with a token of the deleter) keeps a second
 * deleter and a re-registration away until FINISH_DELETE. Superseded and held versions become
 * 'retiring' (a rollback or promote cannot revive them meanwhile); a loading version only when
 * its lock is no longer alive (LOAD_LOCK_ALIVE at `now`: a stale load; it becomes 'failed' with
 * the given error, and the claim replaces whatever is left of its lock). Returns
 * 'claimed', or why not: 'loading' (a running load), 'busy' (being deleted by another), or the
 * status. A token names its claimant: the one that holds the claim gets it again.
 */
export const BEGIN_DELETE = `#!lua flags=allow-oom
${LOAD_LOCK_ALIVE}
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return 'missing' end
-- The same claimant again (a retried step whose deletion stopped halfway): its claim, renewed.
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
  return 'claimed'
end
local locked = redis.call('EXISTS', KEYS[2]) == 1
if s == 'loading' then
  if loadLockAlive(KEYS[1], KEYS[2], ARGV[3]) then return 'loading' end
  redis.call('HSET', KEYS[1], 'status', 'failed', 'failedAt', ARGV[3], 'error', ARGV[4])
elseif locked then
  return 'busy'
elseif s == 'superseded' or s == 'held' then
  redis.call('HSET', KEYS[1], 'status', 'retiring')
elseif s ~= 'retiring' and s ~= 'failed' and s ~= 'refused' and s ~= 'discarded' then
  return s
end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return 'claimed'
`;

/**
 * KEYS: version, lock. ARGV: token, ttlMs, now. An operator's discard: a held version, or a
 * stale load (loading without a live lock, LOAD_LOCK_ALIVE at `now`), becomes 'discarded' and is
 * claimed for deletion (the claim replaces whatever is left of a stale load's lock).
 * A discarded version whose deletion stopped halfway can be discarded again.
 */
export const DISCARD = `#!lua flags=allow-oom
${LOAD_LOCK_ALIVE}
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return 'missing' end
if s == 'loading' and loadLockAlive(KEYS[1], KEYS[2], ARGV[3]) then return 'loading' end
-- A loading version past here is stale: what is left of its lock is no deleter's claim.
local locked = s ~= 'loading' and redis.call('EXISTS', KEYS[2]) == 1
if s ~= 'held' and s ~= 'loading' and s ~= 'discarded' then return s end
if locked then return 'busy' end
if s ~= 'discarded' then redis.call('HSET', KEYS[1], 'status', 'discarded', 'discardedAt', ARGV[3], 'discardedFrom', s) end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return 'discarded'
`;

/** KEYS: version, versions, chunkResults, chunkPlan, lock. ARGV: id, now, metadata ttl seconds. */
export const FINISH_DELETE = `#!lua flags=allow-oom
local s = redis.call('HGET', KEYS[1], 'status')
if s == 'retiring' then redis.call('HSET', KEYS[1], 'status', 'retired', 'retiredAt', ARGV[2]) end
redis.call('HSET', KEYS[1], 'dataDeletedAt', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3], KEYS[4], KEYS[5])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return s or 'missing'
`;
