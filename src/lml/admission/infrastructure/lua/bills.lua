-- A request's rate budgets, spent by a line script (join, place) before its own work, in the same
-- step: a request refused by one changes nothing in the line. The script's ARGV from `at` on are its
-- bills (buckets.lua: spend_bills; a request's budgets whose answers are kept apart, e.g. the one its
-- headers describe), spent bill after bill until one refuses; their buckets are the KEYS after the
-- room's.

-- The script's answer: the JSON text of [rates, reply] (one bulk string, read in one go), rates each
-- bill's answer (spend_buckets) up to the first that refused (`{}` when no bill was given), reply
-- `work()`'s (run after purge) or {'rate_limited'} when a bill refused.
local function after_bills(at, work)
  local rates, refused = spend_bills(at, true)
  if refused then return cjson.encode({rates, {'rate_limited'}}) end
  purge()
  return cjson.encode({rates, work()})
end
