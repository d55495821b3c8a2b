-- Place a hold on the best seats free right now (lml.seating.domain.best_available states the rules
-- in Python; a property test holds this script to them). The checks and the taking are an explicit
-- hold's (holding.lua); only the choice is new.
-- The request's rate budgets (buckets.lua) are spent in the same step, as place_hold.lua spends them.
-- KEYS after the show's (show_state.lua): the request's rate buckets, spent in order, b of them.
-- ARGV[3..12] as holding.lua says ([12] '1': the single-seat rule is on), [13] b, [14..13+2b] each
-- bucket's capacity and refill per second, then from F = 14 + 2b: [F] quantity, [F+1] '1' together /
-- '0' apart, [F+2] tier id ('' any), [F+3] number of sections s, [F+4..F+3+s] sections, then zone id /
-- quantity pairs.
-- Cost: a block (together) is looked for through the runs index: only rows with a run of the tier's free
-- seats (any tier's without one) of a length that could hold it are read, best seat first, and none whose
-- best such seat is worse than the best block found so far; the rows in between are never read, nor any
-- row of another tier. Apart, seats are read best first, a few then CHUNK at a time, from the
-- index of free seats; a row is read once (its status string, and when needed its ids and ranks). A
-- request that cannot fit is refused from the tallies (`free`, `longest`) without reading a seat; one
-- that the tallies let through but the chooser cannot serve (apart, with the single-seat rule, seats
-- that only come in pairs for an odd quantity) reads every free seat it could have, once.
-- Returns the JSON text of [rate, reply], as place_hold.lua: its replies, with the chosen seats after
-- 'ok', or {'not_enough', together, apart} | {'unknown_choice', tier or '', unknown sections..}
-- Apart, the free seats are read best first: FIRST_CHUNK of them, as most requests are served from the
-- first few, then CHUNK at a time.
local FIRST_CHUNK, CHUNK = 8, 128
-- A block's lists of runs are read a page at a time: a first page of a few members, as the best block is
-- mostly in the first rows of each (every list's head is compared, a list read on only while its rows
-- may beat the best block found); then RUNS_PAGE at a time.
local FIRST_RUNS_PAGE, RUNS_PAGE = 4, 32
local F = 14 + 2 * BUCKETS

local function choose()
  -- Not loaded yet: the caller loads the show and runs the script again, which spends the budgets.
  -- A show whose index an older version built is rebuilt the same way (see loaded).
  if not loaded() then return {'not_loaded'} end
  local refused, now = admit()
  if refused then return refused end
  local quantity, together, tier = tonumber(ARGV[F]), ARGV[F + 1] == '1', ARGV[F + 2]
  local s = tonumber(ARGV[F + 3])
  local sections, section_list, unknown = {}, {}, {}
  for i = F + 4, F + 3 + s do
    if not sections[ARGV[i]] then section_list[#section_list + 1] = ARGV[i] end
    sections[ARGV[i]] = true
    if not redis.call('HGET', K_LABELS, 's:' .. ARGV[i]) then unknown[#unknown + 1] = ARGV[i] end
  end
  local bad_tier = tier ~= '' and not redis.call('HGET', K_LABELS, 't:' .. tier)
  if bad_tier or #unknown > 0 then
    local reply = {'unknown_choice', bad_tier and tier or ''}
    for _, section in ipairs(unknown) do reply[#reply + 1] = section end
    return reply
  end
  local zones, qtys, unknown_zones, short = read_zones(F + 4 + s)
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
  -- The free seats best first, a chunk at a time: calls visit(seat, row, pos, tier) until it says stop.
  local function each_candidate(visit)
    local first, size = 0, FIRST_CHUNK
    while true do
      local seats = redis.call('ZRANGE', K_RANKED, first, first + size - 1)
      if #seats == 0 then return end
      local places = redis.call('HMGET', K_PLACES, unpack(seats))
      for i, seat in ipairs(seats) do
        local _, offset, row, seat_tier = parse_place(places[i])
        if tier == '' or seat_tier == tier then
          local info = row_info(row, false)
          if row_matches(info) and visit(seat, row, offset - info.start) then return end
        end
      end
      first, size = first + size, CHUNK
    end
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
          chosen[#chosen + 1] = row_ids(info)[alone + 1]
          return false
        end
        in_row[alone] = nil
      end
      in_row[pos] = nil
      return false
    end)
    return chosen
  end

  -- Whether the block of `quantity` seats from 0-based position `start` may be held: all candidates,
  -- and with the single-seat rule, no free seat left alone beside it.
  local function block_fits(info, start)
    if start < 0 or start + quantity > info.len then return false end
    for i = start, start + quantity - 1 do
      if not seat_matches(info, i) then return false end
    end
    if not AVOID_SINGLE then return true end
    local block = {}
    for i = start, start + quantity - 1 do block[i] = true end
    return not single_left(info, block, {start, start + quantity - 1})
  end
  -- The best candidate any block of the row can contain: its rank and position, nil when no block fits.
  local function best_in_row(row)
    if not row_matches(row_info(row, false)) then return nil end
    local info = row_info(row, true)
    local best_rank, best_pos
    for start = 0, info.len - quantity do
      if block_fits(info, start) then
        for i = start, start + quantity - 1 do
          if not best_rank or info.ranks[i + 1] < best_rank then best_rank, best_pos = info.ranks[i + 1], i end
        end
      end
    end
    return best_rank, best_pos
  end
  -- The row and position of the best candidate any block contains. Only the tier's runs (any tier's
  -- without one) of a length that can hold the block are looked at, up to `longest`, the longest such
  -- run (with the single-seat rule, not one seat longer: it would leave one alone; `runs` lists a run
  -- that may yet hold it at one less too): one list per length in `runs`, merged best seat first, each
  -- row judged whole once, until the next row's best seat cannot beat the best block found.
  local function best_block_seat(longest)
    local lists = {}
    for length = quantity, longest do
      if not AVOID_SINGLE or length ~= quantity + 1 then
        local prefix = runs_prefix(tier, length)
        lists[#lists + 1] = {from = '[' .. prefix, to = '[' .. prefix .. '\255', skip = #prefix, page = {}, at = 1,
                             size = FIRST_RUNS_PAGE}
      end
    end
    -- A list's next row: the rank of its best seat in such a run, and the row; nil once read to the end.
    local function head(list)
      if list.at > #list.page then
        if list.ended then return nil end
        list.page = redis.call('ZRANGEBYLEX', K_RUNS, list.from, list.to, 'LIMIT', 0, list.size)
        list.at, list.ended = 1, #list.page < list.size
        list.size = RUNS_PAGE
        if #list.page == 0 then return nil end
        list.from = '(' .. list.page[#list.page]
      end
      local member = list.page[list.at]
      return tonumber(string.sub(member, list.skip + 1, list.skip + RUNS_RANK_DIGITS)),
        string.sub(member, list.skip + RUNS_RANK_DIGITS + 1)
    end
    local judged, best_rank, best_row, best_pos = {}, nil, nil, nil
    while true do
      local next_list, next_rank, next_row
      for _, list in ipairs(lists) do
        local rank, row = head(list)
        if rank and (not next_rank or rank < next_rank) then next_list, next_rank, next_row = list, rank, row end
      end
      if not next_list or (best_rank and next_rank >= best_rank) then return best_row, best_pos end
      next_list.at = next_list.at + 1
      if not judged[next_row] then
        judged[next_row] = true
        local rank, pos = best_in_row(next_row)
        if rank and (not best_rank or rank < best_rank) then best_rank, best_row, best_pos = rank, next_row, pos end
      end
    end
  end

  local most_together, most_apart = free_figures(tier, section_list, AVOID_SINGLE)
  local chosen = {}
  if together and most_together >= quantity then
    local row, pos = best_block_seat(most_together)
    if row then
      -- Among the blocks holding that seat: the lowest sum of ranks, then the leftmost.
      local info = row_info(row, true)
      local best_sum, best_start
      for start = pos - quantity + 1, pos do
        if block_fits(info, start) then
          local sum = 0
          for i = start, start + quantity - 1 do sum = sum + info.ranks[i + 1] end
          if not best_sum or sum < best_sum then best_sum, best_start = sum, start end
        end
      end
      local ids = row_ids(info)
      for i = best_start, best_start + quantity - 1 do chosen[#chosen + 1] = ids[i + 1] end
    end
  elseif not together and most_apart >= quantity then
    chosen = apart(quantity)
  end
  if #chosen < quantity then return {'not_enough', most_together, most_apart} end
  local reply = take(now, chosen, zones, qtys, total)
  for _, seat in ipairs(chosen) do reply[#reply + 1] = seat end
  return reply
end

local result = choose()
emit(false)
return cjson.encode({rate, result})
