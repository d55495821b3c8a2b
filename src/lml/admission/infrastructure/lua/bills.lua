-- A request's rate budgets, spent by a line script (join, place) before its own work, in the same
-- step: a request refused by one changes nothing in the line. The script's ARGV from `at` on: the
-- number of bills (a request's budgets whose answers are kept apart, e.g. the one its headers
-- describe), then each bill's bucket count b and its b buckets' capacity and refill per second; the
-- buckets are the KEYS after the room's, bill after bill, each bill's spent in order (buckets.lua).
local FIRST_BUCKET_KEY = 8 -- after the room's seven keys (room.lua)

-- Each bill's buckets, bill after bill until one refuses: their answers, and whether one refused.
local function spend_bills(at)
  local rates, key = {}, FIRST_BUCKET_KEY
  local bills = tonumber(ARGV[at])
  at = at + 1
  for i = 1, bills do
    local count = tonumber(ARGV[at])
    local buckets = {}
    for k = 1, count do buckets[k] = KEYS[key + k - 1] end
    rates[i] = spend_buckets(buckets, ARGV, at + 1, 1, 'take')
    if rates[i][1] == 0 then return rates, true end
    key, at = key + count, at + 1 + 2 * count
  end
  return rates, false
end

-- The script's answer: the JSON text of [rates, reply] (one bulk string, read in one go), rates each
-- bill's answer (spend_buckets) up to the first that refused (`{}` when no bill was given), reply
-- `work()`'s (run after purge) or {'rate_limited'} when a bill refused.
local function after_bills(at, work)
  local rates, refused = spend_bills(at)
  if refused then return cjson.encode({rates, {'rate_limited'}}) end
  purge()
  return cjson.encode({rates, work()})
end
