// Lua for the correction log, run on the dataset's control slot (all KEYS under {sluice:<dataset>},
// with the pointer and the versions): a put is logged and learns which versions to write to in
// one atomic step, so a swap either happens before it (the put then sees the new live version) or
// after it (the swap's generation check then sees it: version-scripts.ts SWAP).

/**
 * KEYS: log, at, gen, current, versions, fence, tombstones (erasure-scripts.ts), bygen, the key
 * list and its generation (key-lists.ts). ARGV: version key prefix, at (ms), then pairs of record
 * key and the entry's text after its opening `{"gen":N,` (the rest of a small JSON header, a
 * newline, the stored value). The keys and their time are appended to the key list if it held
 * every logged key before (or the log was empty); otherwise a reader rebuilds it.
 * Returns {gen, {id, buckets, id, buckets, ...}}: the live version first (if any), then held ones;
 * {0, {}} while a swap holds the fence (the put waits and tries again; nothing was logged);
 * {-1, {key, ...}} when keys of the put are erased (tombstoned): nothing was logged.
 */
export const LOG_PUT = `
local erased = {}
for i = 3, #ARGV, 2 do
  if redis.call('HEXISTS', KEYS[7], ARGV[i]) == 1 then table.insert(erased, ARGV[i]) end
end
if #erased > 0 then return {-1, erased} end
if redis.call('EXISTS', KEYS[6]) == 1 then return {0, {}} end
local fresh = redis.call('HLEN', KEYS[1]) == 0
local before = redis.call('GET', KEYS[3])
local listed = fresh or (before and redis.call('GET', KEYS[10]) == before)
local gen = redis.call('INCR', KEYS[3])
local head = '{"gen":' .. gen .. ','
local added = {}
for i = 3, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], head .. ARGV[i + 1])
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[i])
  redis.call('ZADD', KEYS[8], gen, ARGV[i])
  added[#added + 1] = ',' .. cjson.encode(ARGV[i]) .. ',' .. ARGV[2]
end
if listed then
  if fresh then redis.call('DEL', KEYS[9]) end
  redis.call('APPEND', KEYS[9], table.concat(added))
  redis.call('SET', KEYS[10], gen)
end
local targets = {}
local live = ''
local cur = redis.call('GET', KEYS[4])
if cur then
  local p = cjson.decode(cur)
  live = tostring(p.version)
  table.insert(targets, live)
  table.insert(targets, tostring(p.buckets))
end
for _, id in ipairs(redis.call('ZRANGE', KEYS[5], 0, -1)) do
  if id ~= live then
    local v = redis.call('HMGET', ARGV[1] .. id, 'status', 'buckets')
    if v[1] == 'held' then
      table.insert(targets, id)
      table.insert(targets, v[2])
    end
  end
end
return {gen, targets}
`;

/**
 * KEYS: log, at, versions, bygen, the key list's generation. ARGV: rewind window (ms). Drops the
 * entries logged more than the window before the lowest order key of the versions holding data:
 * every version that can still go live (a retained one by rollback, a held one by promote, a new
 * load ordered after the live one) supersedes them. If it dropped any, the key list is marked
 * stale (a reader rebuilds it without them). Returns how many.
 */
export const TRIM = `#!lua flags=allow-oom
local first = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
if #first == 0 then return 0 end
local cutoff = string.format('(%d', tonumber(first[2]) - tonumber(ARGV[1]))
local n = 0
while true do
  local keys = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', cutoff, 'LIMIT', 0, 1000)
  if #keys == 0 then break end
  redis.call('HDEL', KEYS[1], unpack(keys))
  redis.call('ZREM', KEYS[2], unpack(keys))
  redis.call('ZREM', KEYS[4], unpack(keys))
  n = n + #keys
end
if n > 0 then redis.call('DEL', KEYS[5]) end
return n
`;

/**
 * KEYS: gen, fence. ARGV: version, ttl (ms). A swap refused for new corrections holds the fence:
 * puts wait (for at most the ttl) while it applies them and swaps. Returns the generation.
 */
export const FENCE = `
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return tonumber(redis.call('GET', KEYS[1]) or '0')
`;

/** KEYS: fence. ARGV: version. Lifts the fence if this version holds it. */
export const UNFENCE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;
