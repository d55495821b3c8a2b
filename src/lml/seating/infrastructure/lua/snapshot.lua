-- Availability for the readers of one show whose reads started together: each reader's general rate
-- budget (buckets.lua) spent on its own, then, for all of them, expired holds dropped first, so the
-- answer is exact at this instant (after every reader's request arrived); reading it is one call.
-- ARGV[3] the version the readers already have ('' for none), [4] r readers, then each reader's bucket
-- count b and its b buckets' capacity and refill per second; KEYS after the show's (show_state.lua):
-- every reader's buckets, reader after reader, each reader's spent in order.
-- Returns the JSON text of [rates, reply] (as place_hold.lua): rates each reader's budget's answer
-- (buckets.lua: spend_buckets; `{}` for a reader with no bucket), reply one of {'not_loaded'}
--   | {'rate_limited'} (every reader refused) | {'same', version, last log id}
--   | {'full', version, last log id, status string, zones hash...}
local READERS = tonumber(ARGV[4])

-- Each reader's answer, and whether any reader was let through.
local function spend_readers()
  local counts, total, at = {}, 0, 5
  for i = 1, READERS do
    counts[i] = tonumber(ARGV[at])
    total, at = total + counts[i], at + 1 + 2 * counts[i]
  end
  local rates, through, key = {}, false, #KEYS - total + 1
  at = 5
  for i = 1, READERS do
    local buckets = {}
    for k = 1, counts[i] do buckets[k] = KEYS[key + k - 1] end
    if counts[i] == 0 then
      rates[i] = {}
      through = true
    else
      rates[i] = spend_buckets(buckets, ARGV, at + 1, 1, 'take')
      through = through or rates[i][1] == 1
    end
    key, at = key + counts[i], at + 1 + 2 * counts[i]
  end
  return rates, through
end

local function snapshot()
  if not loaded() then return {'not_loaded'} end
  purge(now_ms())
  emit(false)
  local version = current_version()
  local last = redis.call('XREVRANGE', K_LOG, '+', '-', 'COUNT', 1)
  local last_id = '0-0'
  if last[1] then last_id = last[1][1] end
  if version == ARGV[3] then return {'same', version, last_id} end
  local reply = {'full', version, last_id, redis.call('GET', K_STATUS) or ''}
  for _, item in ipairs(redis.call('HGETALL', K_ZONES)) do reply[#reply + 1] = item end
  return reply
end

-- First, even for a show not loaded (or unknown): readers past their budget cost no more.
local rates, through = spend_readers()
local reply = {'rate_limited'}
if through then reply = snapshot() end
return cjson.encode({rates, reply})
