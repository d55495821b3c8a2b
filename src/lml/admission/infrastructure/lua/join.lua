-- A buyer joins the line, once, the request's rate budgets spent first (bills.lua).
-- ARGV[2] buyer, [3] a new entry id, [4] its rank if it is a pre-queue place, [5] on: the bills.
-- Returns after_bills' JSON text, its reply one of {'joined' | 'existing', describe...}
-- | {'rate_limited'} | {'unconfigured'} | {'not_enabled'} | {'closed'} | {'not_open', opens ms}.
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

return after_bills(5, join)
