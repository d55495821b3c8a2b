-- A buyer joins the line, once, the request's rate budgets (buckets.lua) spent first, in the same step:
-- a request refused by one changes nothing in the line.
-- ARGV[2] buyer, [3] a new entry id, [4] its rank if it is a pre-queue place, [5] the number of bills
-- (a request's budgets whose answers are kept apart, e.g. the one its headers describe), then each
-- bill's bucket count b and its b buckets' capacity and refill per second; the buckets are the KEYS
-- after the room's, bill after bill, each bill's spent in order.
-- Returns the JSON text of [rates, reply] (one bulk string, read in one go): rates holds each bill's
-- answer (buckets.lua: spend_buckets) up to the first that refused (`{}` when no bill was given), reply
-- one of {'joined' | 'existing', describe...} | {'rate_limited'} | {'unconfigured'} | {'not_enabled'}
-- | {'closed'} | {'not_open', opens ms}.
local FIRST_BUCKET_KEY = 8 -- after the room's seven keys (room.lua)

-- Each bill's buckets, bill after bill until one refuses: their answers, and whether one refused.
local function spend_bills()
  local rates, key, at = {}, FIRST_BUCKET_KEY, 6
  for i = 1, tonumber(ARGV[5]) do
    local count = tonumber(ARGV[at])
    local buckets = {}
    for k = 1, count do buckets[k] = KEYS[key + k - 1] end
    rates[i] = spend_buckets(buckets, ARGV, at + 1, 1, 'take')
    if rates[i][1] == 0 then return rates, true end
    key, at = key + count, at + 1 + 2 * count
  end
  return rates, false
end

local function join()
  local f = redis.call('HMGET', K_ROOM, 'enabled', 'opens', 'on_sale', 'closed')
  if not f[1] then return {'unconfigured'} end
  local buyer, entry = ARGV[2], ARGV[3]
  local existing = redis.call('HGET', K_OF, buyer)
  if existing then
    local reply = describe(existing)
    table.insert(reply, 1, 'existing')
    return reply
  end
  if f[1] ~= '1' then return {'not_enabled'} end
  if f[4] == '1' then return {'closed'} end
  if NOW < tonumber(f[2]) then return {'not_open', f[2]} end
  local rank
  if f[3] == '' or NOW < tonumber(f[3]) then
    rank = tonumber(ARGV[4])
  else
    rank = LATER + redis.call('HINCRBY', K_ROOM, 'seq', 1)
  end
  redis.call('ZADD', K_LINE, rank, entry)
  redis.call('HSET', K_OF, buyer, entry)
  redis.call('HSET', K_WHO, entry, buyer)
  local reply = describe(entry)
  table.insert(reply, 1, 'joined')
  return reply
end

local rates, refused = spend_bills()
if refused then return cjson.encode({rates, {'rate_limited'}}) end
purge()
return cjson.encode({rates, join()})
