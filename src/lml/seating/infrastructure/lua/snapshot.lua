-- Availability: expired holds dropped first, so the answer is exact at this instant; the request's
-- general rate budget (buckets.lua) is spent in the same step, so that reading it is one call.
-- ARGV[3] the version the caller already has ('' for none), [4] b, [5..4+2b] each bucket's capacity
-- and refill per second; KEYS after the show's (show_state.lua): the b buckets, spent in order.
-- Returns the JSON text of [rate, reply] (as place_hold.lua): rate is the buckets' answer (buckets.lua:
-- spend_buckets; `{}` when b = 0),
-- reply one of {'not_loaded'} | {'rate_limited'} | {'same', version, last log id}
--   | {'full', version, last log id, status string, zones hash...}
local BUCKETS = tonumber(ARGV[4])
local rate = {}

local function snapshot()
  -- First, even for a show not loaded (or unknown): a caller past their budget costs no more.
  local refused
  rate, refused = spend_request_buckets(BUCKETS, ARGV, 5)
  if refused then return {'rate_limited'} end
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

local reply = snapshot()
return cjson.encode({rate, reply})
