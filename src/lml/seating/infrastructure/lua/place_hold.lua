-- Place a hold on seats the buyer chose: every seat and zone is checked first, then all are taken,
-- or none; the request's rate budgets (buckets.lua) are spent in the same step.
-- KEYS after the show's (show_state.lua): the request's rate buckets, spent in order, b of them.
-- ARGV[3..12] as holding.lua says, [13] b, [14..13+2b] each bucket's capacity and refill per second,
-- [14+2b] number of seats n, [15+2b..14+2b+n] seat ids, then zone id / quantity pairs.
-- Returns the JSON text of [rate, reply] (one bulk string, read in one go where nested arrays cost the
-- client a read per item): rate is the buckets' answer (buckets.lua: spend_buckets; `{}` when b = 0),
-- reply one of {'ok', expires ms, max expires ms, live holds of the show} | {'not_loaded'} | {'closed'}
--   | {'rate_limited'} | {'unknown', n, seat ids.., zone ids..} | {'blocked', seat ids..}
--   | {'over_limit', held, ordered, max} | {'address_cap', held from the address, cap}
--   | {'conflict', n, seat ids.., zone id, remaining, ...}
--   | {'single_seat', seat id} (ARGV[12] = '1' and the hold would leave that free seat alone)
local FIRST_SEAT = 15 + 2 * BUCKETS

local function place()
  -- Not loaded yet: the caller loads the show and runs the script again, which spends the budgets.
  if not loaded() then return {'not_loaded'} end
  local refused, now = admit()
  if refused then return refused end
  local n = tonumber(ARGV[FIRST_SEAT - 1])
  local seats = {}
  for i = 1, n do seats[i] = ARGV[FIRST_SEAT - 1 + i] end
  local zones, qtys, unknown_zones, short = read_zones(FIRST_SEAT + n)

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
  local quantity = n + zone_places(qtys)
  local over = over_limits(quantity)
  if over then return over end
  if #taken > 0 or #short > 0 then
    local reply = {'conflict', #taken}
    for _, seat in ipairs(taken) do reply[#reply + 1] = seat end
    for _, item in ipairs(short) do reply[#reply + 1] = item end
    return reply
  end
  if AVOID_SINGLE and n > 0 then
    -- The seats' rows with the positions this hold takes, then each row's neighbours checked.
    local by_row, order = {}, {}
    for _, seat in ipairs(seats) do
      local _, offset, row = seat_place(seat)
      if row then
        if not by_row[row] then
          by_row[row] = {taken = {}, positions = {}}
          order[#order + 1] = row
        end
        local pos = offset - row_info(row).start
        by_row[row].taken[pos] = true
        by_row[row].positions[#by_row[row].positions + 1] = pos
      end
    end
    for _, row in ipairs(order) do
      local info = row_info(row)
      local alone = single_left(info, by_row[row].taken, by_row[row].positions)
      if alone then
        return {'single_seat', redis.call('GETRANGE', K_ROWSEATS, (info.start + alone) * 16,
                                          (info.start + alone) * 16 + 15)}
      end
    end
  end
  return take(now, seats, zones, qtys, quantity)
end

local result = place()
emit(false)
return cjson.encode({rate, result})
