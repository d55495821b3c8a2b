-- A buyer's place, the request's rate budgets spent first (bills.lua). ARGV[2] buyer, [3] on: the bills.
-- Returns after_bills' JSON text, its reply one of {'in_line', describe...} | {'not_in_line'}
-- | {'rate_limited'}.
local function place()
  local entry = redis.call('HGET', K_OF, ARGV[2])
  if not entry then return {'not_in_line'} end
  local reply = describe(entry)
  table.insert(reply, 1, 'in_line')
  return reply
end

return after_bills(3, place)
