// Lua run on a dataset's control slot for erasure and suppression (KEYS all under the
// {sluice:<dataset>} hash tag). Each change also sets a generation token, so a container that
// cached the tombstones or the suppressed items knows with one GET whether its copy is current.
// ERASE and RESTORE keep the tombstone list (key-lists.ts) up to date; UNERASE moves the token
// past the list's, which makes the next reader rebuild it.

/**
 * KEYS: tombstones, tombstonesAt, generation, versions, then the correction log's log, at, gen
 * and bygen (correction-scripts.ts), then the tombstone list and its generation (key-lists.ts).
 * ARGV: at, tombstone JSON, token, keys...
 * Records the tombstones, drops the keys' logged corrections (erasure wins: no replay writes them
 * back) and, if it dropped any, moves the log's generation, so a swap that replayed them before
 * this is refused and sweeps again (before-go-live.ts). Appends the new keys to the tombstone
 * list if the list was exact before (or there were no tombstones), and moves the list's
 * generation with the token; otherwise the list stays behind the token and a reader rebuilds it.
 * Returns every version holding data at that moment (loading, live, retained, held): a version
 * registered later is loaded with these tombstones in place.
 */
export const ERASE = `
local fresh = redis.call('HLEN', KEYS[1]) == 0
local token = redis.call('GET', KEYS[3])
local listed = fresh or (token and redis.call('GET', KEYS[10]) == token)
local added = {}
local dropped = 0
for i = 4, #ARGV do
  if redis.call('HSET', KEYS[1], ARGV[i], ARGV[2]) == 1 then added[#added + 1] = ',' .. cjson.encode(ARGV[i]) end
  redis.call('ZADD', KEYS[2], ARGV[1], ARGV[i])
  dropped = dropped + redis.call('HDEL', KEYS[5], ARGV[i])
  redis.call('ZREM', KEYS[6], ARGV[i])
  redis.call('ZREM', KEYS[8], ARGV[i])
end
if dropped > 0 then redis.call('INCR', KEYS[7]) end
redis.call('SET', KEYS[3], ARGV[3])
if listed then
  if fresh then redis.call('DEL', KEYS[9]) end
  if #added > 0 then redis.call('APPEND', KEYS[9], table.concat(added)) end
  redis.call('SET', KEYS[10], ARGV[3])
end
return redis.call('ZRANGE', KEYS[4], 0, -1)
`;

/** KEYS: tombstones, tombstonesAt, generation. ARGV: token, keys... Returns how many were lifted. */
export const UNERASE = `
local n = 0
for i = 2, #ARGV do
  n = n + redis.call('HDEL', KEYS[1], ARGV[i])
  redis.call('ZREM', KEYS[2], ARGV[i])
end
redis.call('SET', KEYS[3], ARGV[1])
return n
`;

/**
 * KEYS: tombstones, tombstonesAt, generation, restored, the tombstone list and its generation.
 * ARGV: token, last ('1' on the last batch), then key/at/tombstone JSON triples. Adds what the S3
 * log holds to what is here (a tombstone is never dropped by a restore); the last batch marks the
 * dataset restored. Keeps the tombstone list as ERASE does.
 */
export const RESTORE = `
local fresh = redis.call('HLEN', KEYS[1]) == 0
local token = redis.call('GET', KEYS[3])
local listed = fresh or (token and redis.call('GET', KEYS[6]) == token)
local added = {}
for i = 3, #ARGV, 3 do
  if redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2]) == 1 then added[#added + 1] = ',' .. cjson.encode(ARGV[i]) end
  redis.call('ZADD', KEYS[2], ARGV[i + 1], ARGV[i])
end
redis.call('SET', KEYS[3], ARGV[1])
if listed then
  if fresh then redis.call('DEL', KEYS[5]) end
  if #added > 0 then redis.call('APPEND', KEYS[5], table.concat(added)) end
  redis.call('SET', KEYS[6], ARGV[1])
end
if ARGV[2] == '1' then redis.call('SET', KEYS[4], ARGV[1]) end
return 'ok'
`;

/** KEYS: suppressed, generation. ARGV: token, 'add' or 'remove', items... Returns how many changed. */
export const SUPPRESS = `
local n = 0
for i = 3, #ARGV do
  if ARGV[2] == 'add' then n = n + redis.call('SADD', KEYS[1], ARGV[i]) else n = n + redis.call('SREM', KEYS[1], ARGV[i]) end
end
redis.call('SET', KEYS[2], ARGV[1])
return n
`;
