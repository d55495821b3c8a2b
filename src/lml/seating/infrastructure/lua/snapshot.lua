-- Availability for the readers of one show whose reads started together: each reader's general rate
-- budget (buckets.lua) spent on its own, then, for all of them, expired holds dropped first, so the
-- answer is exact at this instant (after every reader's request arrived); reading it is one call.
-- ARGV[3] the version the readers already have ('' for none), from [4] on the readers' budgets, a bill
-- each (buckets.lua: spend_bills); KEYS after the show's (show_state.lua): every reader's buckets.
-- Returns the JSON text of [rates, reply] (as place_hold.lua): rates each reader's budget's answer
-- (buckets.lua: spend_buckets; `{}` for a reader with no bucket), reply one of {'not_loaded'}
--   | {'rate_limited'} (every reader refused) | {'same', version}
--   | {'full', version, last log id, status string, zones hash...}
local function snapshot(now)
  if not loaded() then return {'not_loaded'} end
  purge(now)
  emit(false)
  local version = current_version()
  if version == ARGV[3] then return {'same', version} end
  local last = redis.call('XREVRANGE', K_LOG, '+', '-', 'COUNT', 1)
  local last_id = '0-0'
  if last[1] then last_id = last[1][1] end
  local reply = {'full', version, last_id, redis.call('GET', K_STATUS) or ''}
  for _, item in ipairs(redis.call('HGETALL', K_ZONES)) do reply[#reply + 1] = item end
  return reply
end

-- First, even for a show not loaded (or unknown): readers past their budget cost no more.
local now = now_ms()
local rates, _, through = spend_bills(4, false, budget_clock(now))
local reply = {'rate_limited'}
if through then reply = snapshot(now) end
return cjson.encode({rates, reply})
