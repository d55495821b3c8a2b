-- Place a hold: every seat and zone is checked first, then all are taken, or none.
-- ARGV[3] hold id, [4] owner, [5] limit key (the buyer the limit counts), [6] client address,
-- [7] token sha256, [8] hold ms, [9] cap ms (total life), [10] max places per buyer (held + ordered),
-- [11] max places held per address, [12] number of seats n, [13..12+n] seat ids, then zone id /
-- quantity pairs.
-- Returns {'ok', expires ms, max expires ms, live holds of the show} | {'not_loaded'} | {'closed'}
--   | {'unknown', n, seat ids.., zone ids..} | {'blocked', seat ids..} | {'over_limit', held, ordered, max}
--   | {'address_cap', held from the address, cap} | {'conflict', n, seat ids.., zone id, remaining, ...}
local function place()
  if redis.call('EXISTS', K_CLOSED) == 1 then return {'closed'} end
  if redis.call('EXISTS', K_LOADED) == 0 then return {'not_loaded'} end
  local now = now_ms()
  purge(now)
  local hid, owner, buyer, address, token = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
  local n = tonumber(ARGV[12])
  local seats, zones, qtys = {}, {}, {}
  for i = 1, n do seats[i] = ARGV[12 + i] end
  for i = 13 + n, #ARGV, 2 do
    zones[#zones + 1] = ARGV[i]
    qtys[#qtys + 1] = tonumber(ARGV[i + 1])
  end

  local unknown, blocked, taken = {}, {}, {}
  for _, seat in ipairs(seats) do
    local state = redis.call('HGET', K_INV, seat)
    if not state then
      unknown[#unknown + 1] = seat
    else
      local code = string.sub(state, 1, 1)
      if code == 'b' then
        blocked[#blocked + 1] = seat
      elseif code ~= 'a' or redis.call('HEXISTS', K_HOLDER, seat) == 1 then
        taken[#taken + 1] = seat
      end
    end
  end
  local unknown_zones, short = {}, {}
  local quantity = n
  for i, zone in ipairs(zones) do
    quantity = quantity + qtys[i]
    local left = zone_remaining(zone)
    if not left then
      unknown_zones[#unknown_zones + 1] = zone
    elseif qtys[i] > left then
      short[#short + 1] = zone
      short[#short + 1] = left
    end
  end

  if #unknown > 0 or #unknown_zones > 0 then
    local reply = {'unknown', #unknown}
    for _, seat in ipairs(unknown) do reply[#reply + 1] = seat end
    for _, zone in ipairs(unknown_zones) do reply[#reply + 1] = zone end
    return reply
  end
  if #blocked > 0 then
    table.insert(blocked, 1, 'blocked')
    return blocked
  end
  local max = tonumber(ARGV[10])
  local held = tonumber(redis.call('HGET', K_BUYERS, buyer) or '0')
  local ordered = tonumber(redis.call('HGET', K_ORDERED, 'places:' .. buyer) or '0')
  if held + ordered + quantity > max then return {'over_limit', held, ordered, max} end
  local cap = tonumber(ARGV[11])
  local from_address = tonumber(redis.call('HGET', K_ADDRESSES, address) or '0')
  if from_address + quantity > cap then return {'address_cap', from_address, cap} end
  if #taken > 0 or #short > 0 then
    local reply = {'conflict', #taken}
    for _, seat in ipairs(taken) do reply[#reply + 1] = seat end
    for _, item in ipairs(short) do reply[#reply + 1] = item end
    return reply
  end

  local expires = now + tonumber(ARGV[8])
  local max_expires = now + tonumber(ARGV[9])
  local held_zones = {}
  for _, seat in ipairs(seats) do
    redis.call('HSET', K_HOLDER, seat, hid)
    touch_seat(seat)
  end
  for i, zone in ipairs(zones) do
    redis.call('HINCRBY', K_ZONES, 'held:' .. zone, qtys[i])
    held_zones[zone] = qtys[i]
    touch_zone(zone)
  end
  redis.call('HSET', K_HOLDS, hid, cjson.encode({
    o = owner, b = buyer, a = address, t = token, s = table.concat(seats, ','), z = held_zones, n = quantity,
    c = now, m = max_expires,
  }))
  redis.call('ZADD', K_EXPIRY, expires, hid)
  redis.call('HINCRBY', K_BUYERS, buyer, quantity)
  redis.call('HINCRBY', K_ADDRESSES, address, quantity)
  return {'ok', expires, max_expires, redis.call('ZCARD', K_EXPIRY)}
end

local result = place()
emit(false)
return result
