-- Let the next buyers in. ARGV[2] sold_out (1: no place left), [3] closed (1: the sale is over),
-- [4] at most this many. At most `rate` in any minute (the recent set), spread over it (a bucket of
-- five seconds' worth), and never more than `max_active` passes alive.
-- Returns {-1} (the room's facts are not here) | {n, entry, buyer, ...}.
purge()
local f = redis.call('HMGET', K_ROOM, 'enabled', 'on_sale', 'paused', 'rate', 'max_active', 'pass_ms', 'tokens',
  'refilled')
if not f[1] then return {-1} end
redis.call('HSET', K_ROOM, 'sold_out', ARGV[2], 'closed', ARGV[3])
if f[1] ~= '1' or ARGV[3] == '1' or ARGV[2] == '1' or f[3] == '1' or f[2] == '' or NOW < tonumber(f[2]) then
  return {0}
end
local rate = tonumber(f[4])
local capacity = math.max(1, rate / 12)
local tokens = capacity
if f[7] and f[8] then
  tokens = math.min(capacity, tonumber(f[7]) + (NOW - tonumber(f[8])) * rate / 60000)
end
local allowed = math.min(math.floor(tokens), rate - redis.call('ZCARD', K_RECENT),
  tonumber(f[5]) - redis.call('ZCARD', K_ACTIVE), tonumber(ARGV[4]))
local reply = {0}
if allowed > 0 then
  local popped = redis.call('ZPOPMIN', K_LINE, allowed)
  local pass_until = NOW + tonumber(f[6])
  for i = 1, #popped, 2 do
    local entry = popped[i]
    local buyer = redis.call('HGET', K_WHO, entry) or ''
    redis.call('ZADD', K_ACTIVE, pass_until, entry)
    redis.call('ZADD', K_RECENT, NOW, entry)
    redis.call('XADD', K_LOG, 'MAXLEN', '~', LOG_LENGTH, '*', 'e', entry, 'b', buyer, 't', NOW)
    reply[#reply + 1] = entry
    reply[#reply + 1] = buyer
  end
  local n = #popped / 2
  reply[1] = n
  tokens = tokens - n
  redis.call('HINCRBY', K_ROOM, 'admitted', n)
end
redis.call('HSET', K_ROOM, 'tokens', tostring(tokens), 'refilled', NOW)
return reply
