-- Place a hold on the best seats free right now (lml.seating.domain.best_available states the rules
-- in Python; a property test holds this script to them). The checks and the taking are an explicit
-- hold's (holding.lua); only the choice is new.
-- ARGV[3..12] as holding.lua says ([12] '1': the single-seat rule is on), [13] quantity, [14] '1'
-- together / '0' apart, [15] tier id ('' any), [16] number of sections s, [17..16+s] sections, then
-- zone id / quantity pairs.
-- Cost: seats are read best first, CHUNK at a time, from the index of free seats; a row is read once
-- (its status string, and for a block its ids and ranks). A request that fits is answered from the
-- first chunk or few; one that does not fit reads every free seat it could have, once or twice.
-- Returns what place_hold.lua does, with the chosen seats after 'ok', or
--   {'not_enough', together, apart} | {'unknown_choice', tier or '', unknown sections..}
local CHUNK = 128

local function choose()
  local refused, now = gate()
  if refused then return refused end
  local quantity, together, tier = tonumber(ARGV[13]), ARGV[14] == '1', ARGV[15]
  local s = tonumber(ARGV[16])
  local sections, unknown = {}, {}
  for i = 17, 16 + s do
    sections[ARGV[i]] = true
    if not redis.call('HGET', K_LABELS, 's:' .. ARGV[i]) then unknown[#unknown + 1] = ARGV[i] end
  end
  local bad_tier = tier ~= '' and not redis.call('HGET', K_LABELS, 't:' .. tier)
  if bad_tier or #unknown > 0 then
    local reply = {'unknown_choice', bad_tier and tier or ''}
    for _, section in ipairs(unknown) do reply[#reply + 1] = section end
    return reply
  end
  local zones, qtys, unknown_zones, short = read_zones(17 + s)
  if #unknown_zones > 0 then
    local reply = {'unknown', 0}
    for _, zone in ipairs(unknown_zones) do reply[#reply + 1] = zone end
    return reply
  end
  local total = quantity + zone_places(qtys)
  local over = over_limits(total)
  if over then return over end
  if #short > 0 then
    local reply = {'conflict', 0}
    for _, item in ipairs(short) do reply[#reply + 1] = item end
    return reply
  end

  local function row_matches(info)
    return s == 0 or sections[info.section]
  end
  local function seat_matches(info, pos)
    if string.sub(info.state, pos + 1, pos + 1) ~= 'a' then return false end
    return tier == '' or info.tiers[pos + 1] == tier
  end
  -- The free seats best first, CHUNK at a time: calls visit(seat, row, pos, tier) until it says stop.
  local function each_candidate(visit)
    local first = 0
    while true do
      local seats = redis.call('ZRANGE', K_RANKED, first, first + CHUNK - 1)
      if #seats == 0 then return end
      local places = redis.call('HMGET', K_PLACES, unpack(seats))
      for i, seat in ipairs(seats) do
        local _, offset, row, seat_tier = parse_place(places[i])
        if tier == '' or seat_tier == tier then
          local info = row_info(row, false)
          if row_matches(info) and visit(seat, row, offset - info.start) then return end
        end
      end
      first = first + CHUNK
    end
  end
  -- The longest run of seats the request may have in a row (read with its detail).
  local longest = {}
  local function longest_run(row)
    if not longest[row] then
      local info, run, best = row_info(row, true), 0, 0
      for pos = 0, info.len - 1 do
        if seat_matches(info, pos) then run = run + 1 else run = 0 end
        if run > best then best = run end
      end
      longest[row] = best
    end
    return longest[row]
  end
  -- Apart: the best candidates one by one; one that would leave a seat alone takes that seat with it
  -- (when it may, and the pair leaves nobody alone) or is passed over.
  local function apart(limit)
    local chosen, taken = {}, {}
    each_candidate(function(seat, row, pos)
      if #chosen == limit then return true end
      taken[row] = taken[row] or {}
      local in_row = taken[row]
      if in_row[pos] then return false end
      in_row[pos] = true
      local info = row_info(row, false)
      local alone = AVOID_SINGLE and single_left(info, in_row, {pos})
      if not alone then
        chosen[#chosen + 1] = seat
        return false
      end
      info = row_info(row, true)
      if limit - #chosen >= 2 and seat_matches(info, alone) then
        in_row[alone] = true
        if not single_left(info, in_row, {pos, alone}) then
          chosen[#chosen + 1] = seat
          chosen[#chosen + 1] = info.ids[alone + 1]
          return false
        end
        in_row[alone] = nil
      end
      in_row[pos] = nil
      return false
    end)
    return chosen
  end

  local chosen = {}
  if together then
    each_candidate(function(_, row, pos)
      if longest_run(row) < quantity then return false end
      local info = row_info(row, true)
      local best_sum, best_start
      for start = pos - quantity + 1, pos do
        local fits = start >= 0 and start + quantity <= info.len
        local sum = 0
        local i = start
        while fits and i < start + quantity do
          if seat_matches(info, i) then sum = sum + info.ranks[i + 1] else fits = false end
          i = i + 1
        end
        if fits and AVOID_SINGLE then
          local block = {}
          for j = start, start + quantity - 1 do block[j] = true end
          fits = not single_left(info, block, {start, start + quantity - 1})
        end
        if fits and (not best_sum or sum < best_sum) then best_sum, best_start = sum, start end
      end
      if not best_start then return false end
      for j = best_start, best_start + quantity - 1 do chosen[#chosen + 1] = info.ids[j + 1] end
      return true
    end)
  else
    chosen = apart(quantity)
  end
  if #chosen < quantity then
    local most_together = 0
    each_candidate(function(_, row)
      local run = longest_run(row)
      if run > most_together then most_together = run end
      return false
    end)
    return {'not_enough', most_together, #apart(math.huge)}
  end
  local reply = take(now, chosen, zones, qtys, total)
  for _, seat in ipairs(chosen) do reply[#reply + 1] = seat end
  return reply
end

local result = choose()
emit(false)
return result
