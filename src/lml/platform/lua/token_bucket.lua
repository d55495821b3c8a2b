-- A request's rate budgets (buckets.lua, loaded before this script), decided atomically.
-- KEYS     the buckets, in the order they are spent
-- ARGV[1]  cost of this request, ARGV[2] what to do:
--   take    spend `cost` tokens of each bucket in turn, if it has them (stops at the first that has not)
--   lease   spend as many of `cost` tokens as there are, at least one (one bucket)
--   peek    only tell whether `cost` tokens are there; the buckets are left as they are
--   charge  spend `cost` tokens even into debt
--   reset   forget the buckets: they are full again
-- ARGV[3..] each bucket's capacity and refill per second, in KEYS' order
-- Returns {allowed (0|1), tokens left, ms until full, ms until `cost` tokens are there, bucket number,
-- tokens spent} of the bucket that refused, else of the last one.
local cost, mode = tonumber(ARGV[1]), ARGV[2]
if mode == 'reset' then
  for _, key in ipairs(KEYS) do redis.call('DEL', key) end
  return {1, tonumber(ARGV[#ARGV - 1]), 0, 0, #KEYS, 0}
end
return spend_buckets(KEYS, ARGV, 3, cost, mode)
