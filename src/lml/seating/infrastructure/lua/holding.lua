-- What placing a hold means, whoever chose the seats (place_hold.lua: the buyer; best_available.lua:
-- the server). Loaded after show_state.lua, before the scripts; a holding script calls bind_hold after
-- bind_call, which binds the call's own values of these locals (as show_state.lua's).
-- ARGV[3] hold id, [4] owner, [5] limit key (the buyer the limit counts), [6] client address,
-- [7] token sha256, [8] hold ms, [9] cap ms (total life), [10] max places per buyer (held + ordered),
-- [11] max places held per address, [12] '1' when no free seat may be left alone by this hold.
-- ARGV[13] b: the request's rate buckets (KEYS after the show's, spent in order), [14..13+2b] each one's
-- capacity and refill per second. `rate` is their answer (buckets.lua: spend_buckets; `{}` when b = 0),
-- which the script returns with its reply.
local HID, OWNER, BUYER, ADDRESS, TOKEN, AVOID_SINGLE, BUCKETS, rate

local function bind_hold()
  HID, OWNER, BUYER, ADDRESS, TOKEN = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
  AVOID_SINGLE = ARGV[12] == '1'
  BUCKETS = tonumber(ARGV[13])
  rate = {}
end

-- The show takes holds (the script has found it loaded) at `now`: {reply} when it does not (closed).
local function gate(now)
  if redis.call('EXISTS', K_CLOSED) == 1 then return {'closed'} end
  purge(now)
  return nil
end

-- The request admitted: its rate budgets spent, then the show's gate; {reply} when refused, else nil and
-- the time.
local function admit()
  local now = now_ms()
  local refused
  rate, refused = spend_request_buckets(BUCKETS, ARGV, 14, budget_clock(now))
  if refused then return {'rate_limited'} end
  return gate(now), now
end

-- Zone id / quantity pairs from ARGV[first] on; unknown zones and short ones (zone, places left).
local function read_zones(first)
  local zones, qtys, unknown, short = {}, {}, {}, {}
  for i = first, #ARGV, 2 do
    local zone, qty = ARGV[i], tonumber(ARGV[i + 1])
    zones[#zones + 1] = zone
    qtys[#qtys + 1] = qty
    local left = zone_remaining(zone)
    if not left then
      unknown[#unknown + 1] = zone
    elseif qty > left then
      short[#short + 1] = zone
      short[#short + 1] = left
    end
  end
  return zones, qtys, unknown, short
end

local function zone_places(qtys)
  local total = 0
  for _, qty in ipairs(qtys) do total = total + qty end
  return total
end

-- The buyer's limit and the address' cap: a refusal reply, or nil.
local function over_limits(quantity)
  local held = tonumber(redis.call('HGET', K_BUYERS, BUYER) or '0')
  local ordered = tonumber(redis.call('HGET', K_ORDERED, 'places:' .. BUYER) or '0')
  local max = tonumber(ARGV[10])
  if held + ordered + quantity > max then return {'over_limit', held, ordered, max} end
  local cap = tonumber(ARGV[11])
  local from_address = tonumber(redis.call('HGET', K_ADDRESSES, ADDRESS) or '0')
  if from_address + quantity > cap then return {'address_cap', from_address, cap} end
  return nil
end

-- Takes the seats and zone places (all checked free) for the hold.
local function take(now, seats, zones, qtys, quantity)
  local expires = now + tonumber(ARGV[8])
  local max_expires = now + tonumber(ARGV[9])
  local held_zones, holder = {}, {}
  for _, seat in ipairs(seats) do
    holder[#holder + 1] = seat
    holder[#holder + 1] = HID
    touch_seat(seat, 'h')  -- free and unheld (checked), now held
  end
  if #holder > 0 then redis.call('HSET', K_HOLDER, unpack(holder)) end
  for i, zone in ipairs(zones) do
    redis.call('HINCRBY', K_ZONES, 'held:' .. zone, qtys[i])
    held_zones[zone] = qtys[i]
    touch_zone(zone)
  end
  redis.call('HSET', K_HOLDS, HID, cjson.encode({
    o = OWNER, b = BUYER, a = ADDRESS, t = TOKEN, s = table.concat(seats, ','), z = held_zones, n = quantity,
    c = now, m = max_expires,
  }))
  redis.call('ZADD', K_EXPIRY, expires, HID)
  redis.call('HINCRBY', K_BUYERS, BUYER, quantity)
  redis.call('HINCRBY', K_ADDRESSES, ADDRESS, quantity)
  return {'ok', expires, max_expires, redis.call('ZCARD', K_EXPIRY)}
end
