-- The state of one show's holds, shared by every seating script (the top of the seating library of
-- Redis functions, which redis_holds.py assembles: each script a function). Every key is one show's and carries its hash tag, so a script
-- never spans Cluster slots; all of them are declared in KEYS:
--   inv      HASH seat -> state char (a available, b blocked, r reserved, s sold) .. PostgreSQL row version
--   idx      HASH seat -> position of the seat in the status string (ascending seat id)
--   holder   HASH seat -> id of the hold that has it
--   holds    HASH hold id -> JSON record {o owner, b limit key, a client address, t token sha256,
--            s seats "a,b", z {zone: qty}, n places, c created, m max expiry}
--   expiry   ZSET hold id -> expiry (ms): the one index every expiry goes through
--   zones    HASH cap:Z, taken:Z (sold + reserved in PostgreSQL), ver:Z, held:Z (places in live holds)
--   buyers   HASH limit key -> places in the buyer's live holds
--   status   STRING one status char per seat (what /availability returns)
--   version  STRING counter of availability changes
--   log      STREAM of change messages (SSE resume)
--   loaded   STRING epoch (ms) of the last rebuild from PostgreSQL; absent: not loaded
--   ordered  HASH places:<limit key> -> places of the buyer's orders, reserved or sold (PostgreSQL's
--            seating.buyer_places), ver:<limit key> -> its row version. The limit per buyer counts
--            buyers + ordered.
--   addresses HASH client address (IPv4, or IPv6 /64) -> places in live holds placed from it (the cap)
--   closed   STRING present once the show is cancelled: no hold is placed any more
-- Best available (seat quality, fixed when the show went on sale, or for a show put on sale before seats
-- were ranked when it was first loaded; absent while its pinned layout cannot be read):
--   places   HASH seat -> "rank,offset,row,tier": its rank (1 = best), its offset in the row strings,
--            its row number and its price tier
--   rows     HASH row number -> "start,length,section": the row's range in the row strings
--   rowstate STRING one status char per seat (as `status`), seats laid out row after row: seats side
--            by side in a row are side by side here
--   rowseats STRING the 16-character seat ids in the same layout
--   rowranks HASH row number -> "<r>,<t>:<tiers>:<seats>": the row's seats in row order, each its rank in r
--            digits then, when t > 0, the 1-based index of its tier in <tiers> (a comma list) in t digits
--            (0: no tier); with t = 0 every seat of the row has the one tier <tiers> names ('' none).
--            What index_row reads of a row's seats, in one read
--   ranked   ZSET seat -> rank, of the seats free right now (status 'a'): best first
--   labels   HASH s:<section>, t:<tier> -> seats: the sections and tiers a request may name
--   runs     ZSET (lexical, scores 0) of "<length of filter, 3 digits><filter><length, 6 digits><rank, 10
--            digits><row>": for a filter (a tier, or '' any) and a length, the rows with a run of exactly that
--            many of the filter's free seats (status 'a') side by side, each with the best rank in such a
--            run; one range per filter and length, best seat first. A block request reads the rows that
--            could hold it, of its tier only, best seat first, without reading any seat. With a tier, a run
--            of its seats that is part of a longer run of free seats (another tier's, or no tier's, free
--            seat beside it) is listed at its length and one less: a block one shorter may leave its spare
--            seat beside that free seat, not alone (the single-seat rule), so the index may name a row that
--            cannot hold the block, never miss one that can. Kept exact by index_row whenever a row's free
--            seats change (from the row's status characters before and after the change), rebuilt whole
--            when the show is loaded.
-- What a request that nothing fits is told, without reading a seat; kept exact with `runs`. A filter is
-- a tier ('' any); a group is a filter over the show ("<tier>") or over one section ("<tier>|<section>"):
--   free     HASH f<group> -> the group's free seats, a<group> -> its seats apart with the single-seat
--            rule (tiers only: with no tier the chooser takes every free seat), ready -> INDEX_LAYOUT once
--            built: a show an older version built (another value, or none) is loaded again before use
--   longest  ZSET (lexical, scores 0) of "<length of group, 3 digits><group><999999 - longest run,
--            6 digits><row>" for every group and row with a free seat: a group's first member names its
--            longest run
-- Every hash above but `zones` also holds the field `#table` once the show is loaded
-- (keep_hashes_as_tables).
-- ARGV[1] is the time in ms ('' = the Redis server's clock), ARGV[2] the show's shard channel of
-- changes (sharded pub/sub: the channel carries the show's hash tag, so it lives in the keys' slot).
--
-- Expiry without a worker: a hold is live while its expiry score is in the future. Every script
-- first drops the holds whose score has passed (seats, zone places and buyer counts with them), so
-- what it reads is exact; the work is proportional to what expired since the last script ran.
-- The keys, the channel and what a call has changed or read so far are the call's own: the library's
-- functions (redis_holds.py assembles them from these files) share these locals, and each function calls
-- bind_call first, which sets them afresh from the call's KEYS and ARGV (the library binds those before:
-- lml.platform.redis.FunctionLibrary). Redis runs one call at a time, so no call sees another's values.
local K_INV, K_IDX, K_HOLDER, K_HOLDS, K_EXPIRY, K_ZONES, K_BUYERS, K_STATUS, K_VERSION, K_LOG, K_LOADED
local K_ORDERED, K_ADDRESSES, K_CLOSED
local K_PLACES, K_ROWS, K_ROWSTATE, K_ROWSEATS, K_RANKED, K_LABELS
local K_RUNS, K_FREE, K_LONGEST, K_ROWRANKS
local CHANNEL
-- What this call changed (emit publishes it), and the seats' places and rows it has read (seat_place,
-- row_info).
local changed_seats, changed_zones, dirty
local places_seen, rows_seen

local function bind_call()
  K_INV, K_IDX, K_HOLDER, K_HOLDS, K_EXPIRY, K_ZONES, K_BUYERS, K_STATUS, K_VERSION, K_LOG, K_LOADED =
    KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11]
  K_ORDERED, K_ADDRESSES, K_CLOSED = KEYS[12], KEYS[13], KEYS[14]
  K_PLACES, K_ROWS, K_ROWSTATE, K_ROWSEATS, K_RANKED, K_LABELS = KEYS[15], KEYS[16], KEYS[17], KEYS[18],
    KEYS[19], KEYS[20]
  K_RUNS, K_FREE, K_LONGEST, K_ROWRANKS = KEYS[21], KEYS[22], KEYS[23], KEYS[24]
  CHANNEL = ARGV[2]
  changed_seats, changed_zones, dirty = {}, {}, false
  places_seen, rows_seen = {}, {}
end
local LOG_LENGTH = '1000'

-- The show's clock: Redis's (buckets.lua: clock_ms), or the one a test drives (ARGV[1]).
local function now_ms()
  if ARGV[1] ~= '' then return tonumber(ARGV[1]) end
  return clock_ms()
end

-- `now` for the request's rate budgets, which always go by Redis's clock: the call's time when that is
-- Redis's, nil when a test drives the show's clock (ARGV[1]) and the budgets read Redis's themselves.
local function budget_clock(now)
  if ARGV[1] == '' then return now end
  return nil
end

-- `code`: the seat's status as buyers now see it, when the caller has just set it (emit reads it
-- otherwise); a later touch without one has it read again.
local function touch_seat(seat, code)
  changed_seats[seat] = code or true
  dirty = true
end

local function touch_zone(zone)
  changed_zones[zone] = true
  dirty = true
end

local function row_version(value)
  return tonumber(string.sub(value, 2))
end

-- A seat's status as buyers see it: PostgreSQL's state wins over a hold (a reserved or sold seat
-- is never shown as held).
local function seat_code(seat)
  local state = redis.call('HGET', K_INV, seat)
  if not state then return nil end
  local code = string.sub(state, 1, 1)
  if code == 'a' and redis.call('HEXISTS', K_HOLDER, seat) == 1 then return 'h' end
  return code
end

local function zone_remaining(zone)
  local v = redis.call('HMGET', K_ZONES, 'cap:' .. zone, 'taken:' .. zone, 'held:' .. zone)
  if not v[1] then return nil end
  local left = tonumber(v[1]) - tonumber(v[2] or '0') - tonumber(v[3] or '0')
  if left < 0 then return 0 end
  return left
end

local function uncount(key, field, n)
  if redis.call('HINCRBY', key, field, -n) <= 0 then redis.call('HDEL', key, field) end
end

-- The one place a hold's counts are freed (expiry, release, conversion to an order, a dropped show).
local function drop_hold(hid, raw)
  local rec = cjson.decode(raw)
  for seat in string.gmatch(rec.s, '[^,]+') do
    if redis.call('HGET', K_HOLDER, seat) == hid then
      redis.call('HDEL', K_HOLDER, seat)
      touch_seat(seat)
    end
  end
  for zone, qty in pairs(rec.z) do
    redis.call('HINCRBY', K_ZONES, 'held:' .. zone, -qty)
    touch_zone(zone)
  end
  -- A hold placed before holds carried a limit key and an address was counted by its owner only.
  uncount(K_BUYERS, rec.b or rec.o, rec.n)
  if rec.a then uncount(K_ADDRESSES, rec.a, rec.n) end
  redis.call('HDEL', K_HOLDS, hid)
  redis.call('ZREM', K_EXPIRY, hid)
end

-- A buyer's places in orders as PostgreSQL counts them, taken only when `version` is newer.
local function set_ordered(buyer, places, version)
  local current = redis.call('HGET', K_ORDERED, 'ver:' .. buyer)
  if current and tonumber(current) >= version then return false end
  redis.call('HSET', K_ORDERED, 'places:' .. buyer, places, 'ver:' .. buyer, version)
  return true
end

local function purge(now)
  local expired = redis.call('ZRANGEBYSCORE', K_EXPIRY, '-inf', now)
  for _, hid in ipairs(expired) do
    local raw = redis.call('HGET', K_HOLDS, hid)
    if raw then drop_hold(hid, raw) else redis.call('ZREM', K_EXPIRY, hid) end
  end
end

-- The availability's version; `counter`: the change counter when the caller has just read it.
local function current_version(counter)
  return (redis.call('GET', K_LOADED) or '0') .. '.' .. (counter or redis.call('GET', K_VERSION) or '0')
end

-- The layout of the best-available index this version builds and reads (see `free`'s `ready`).
local INDEX_LAYOUT = '3'

-- Whether the show is loaded, by this version: a show whose index an older version built loses its
-- `loaded` marker, so that the caller loads it again from PostgreSQL (which rebuilds the index whole).
local function loaded()
  if redis.call('EXISTS', K_LOADED) == 0 then return false end
  if redis.call('HGET', K_FREE, 'ready') == INDEX_LAYOUT then return true end
  redis.call('DEL', K_LOADED)
  return false
end

-- A seat's place for best available: rank, offset in the row strings (0-based), row, tier; nil for a
-- show ranked before seat quality existed.
local function parse_place(raw)
  if not raw then return nil end
  local rank, offset, row, tier = string.match(raw, '^(%d+),(%d+),(%d+),(.*)$')
  return tonumber(rank), tonumber(offset), row, tier
end

-- Seats' places as this script reads them, once each ({} for a seat without one; places_seen).
local function seat_place(seat)
  local place = places_seen[seat]
  if not place then
    place = {parse_place(redis.call('HGET', K_PLACES, seat))}
    places_seen[seat] = place
  end
  return place[1], place[2], place[3], place[4]
end

-- The row's range in the row strings ("start,length,section"): start offset, length, section.
local function row_range(spec)
  local start, len, section = string.match(spec, '^(%d+),(%d+),(.*)$')
  return tonumber(start), tonumber(len), section
end

-- Rows as this script sees them, read once each (rows_seen): {start, len, section, state}, `state` the row's status
-- characters (emit writes a script's changes last, and keeps `state` in step); with `detail`, also
-- `ranks` and `tiers` of its seats (1-based by position + 1) and `tier`, the one tier of all its seats
-- (nil when they differ). nil for a row not loaded yet (a show being loaded), or, with `detail`, without
-- its ranks (a show an older version loaded).
local function row_info(row, detail)
  local info = rows_seen[row]
  if not info then
    local spec = redis.call('HGET', K_ROWS, row)
    if not spec then return nil end
    local start, len, section = row_range(spec)
    info = {start = start, len = len, section = section,
            state = redis.call('GETRANGE', K_ROWSTATE, start, start + len - 1)}
    rows_seen[row] = info
  end
  if detail and not info.ranks then
    local raw = redis.call('HGET', K_ROWRANKS, row)
    if not raw then return nil end
    local r, t, names, seats = string.match(raw, '^(%d+),(%d+):([^:]*):(.*)$')
    r, t = tonumber(r), tonumber(t)
    local ranks, tiers, width = {}, {}, r + t
    if t == 0 then
      info.tier = names
      for i = 1, info.len do
        ranks[i] = tonumber(string.sub(seats, i * width - width + 1, i * width))
        tiers[i] = names
      end
    else
      local list = {}
      for name in string.gmatch(names, '[^,]+') do list[#list + 1] = name end
      for i = 1, info.len do
        local at = i * width - width
        ranks[i] = tonumber(string.sub(seats, at + 1, at + r))
        tiers[i] = list[tonumber(string.sub(seats, at + r + 1, at + width))] or ''
      end
    end
    info.ranks, info.tiers = ranks, tiers
  end
  return info
end

-- The row's 16-character seat ids (1-based by position + 1), read once.
local function row_ids(info)
  if not info.ids then
    local raw = redis.call('GETRANGE', K_ROWSEATS, info.start * 16, (info.start + info.len) * 16 - 1)
    info.ids = {}
    for i = 1, info.len do info.ids[i] = string.sub(raw, i * 16 - 15, i * 16) end
  end
  return info.ids
end

-- Whether the seat at 0-based position `pos` of the row is free once `taken` (a set of positions
-- a hold takes) is held; `info` is {len, state} with the row's status characters.
local function free_at(info, taken, pos)
  return pos >= 0 and pos < info.len and not taken[pos] and string.sub(info.state, pos + 1, pos + 1) == 'a'
end

-- The 0-based position of a free seat left alone (neighbours taken or the row's edge) once `taken`
-- is held, looking beside each of `positions`; nil when none is.
local function single_left(info, taken, positions)
  for _, pos in ipairs(positions) do
    for _, step in ipairs({-1, 1}) do
      local neighbour = pos + step
      if free_at(info, taken, neighbour) and not free_at(info, taken, neighbour + step) then return neighbour end
    end
  end
  return nil
end

-- How many seats of `tier` in `run` (free seats side by side, each {rank, tier}) the apart chooser picks
-- with the single-seat rule and no limit: best first, each alone, or with the seat it would leave alone
-- when that one is of the tier too and the pair leaves nobody alone, or not at all.
local function apart_in_run(run, tier)
  local info, order, taken, picked = {len = #run, state = string.rep('a', #run)}, {}, {}, 0
  for pos = 0, #run - 1 do
    if run[pos + 1].tier == tier then order[#order + 1] = pos end
  end
  table.sort(order, function(a, b) return run[a + 1].rank < run[b + 1].rank end)
  for _, pos in ipairs(order) do
    if not taken[pos] then
      taken[pos] = true
      local alone = single_left(info, taken, {pos})
      if not alone then
        picked = picked + 1
      elseif run[alone + 1].tier ~= tier then
        taken[pos] = nil
      else
        taken[alone] = true
        if single_left(info, taken, {pos, alone}) then
          taken[pos], taken[alone] = nil, nil
        else
          picked = picked + 2
        end
      end
    end
  end
  return picked
end

-- A row's tally: tier ('' any) -> {longest run, seats apart, free seats} for '' and each tier of the row's
-- free seats (the longest run of the filter's free seats side by side, how many of them the apart chooser
-- would pick with the single-seat rule and no limit, how many there are), from its runs of free seats side
-- by side. With no tier every free seat is a candidate, and the apart chooser takes a whole run (seat by
-- seat, or a seat with the one it would leave alone).
local function tally_runs(runs)
  local tally = {}
  local function add(tier, longest, apart, free)
    local t = tally[tier] or {0, 0, 0}
    tally[tier] = {math.max(t[1], longest), t[2] + apart, t[3] + free}
  end
  for _, run in ipairs(runs) do
    add('', #run, #run, #run)
    local count, longest, prev, streak = {}, {}, nil, 0
    for _, seat in ipairs(run) do
      if seat.tier == prev then streak = streak + 1 else prev, streak = seat.tier, 1 end
      if prev ~= '' then  -- a seat without a tier is no tier's candidate
        count[prev] = (count[prev] or 0) + 1
        if streak > (longest[prev] or 0) then longest[prev] = streak end
      end
    end
    for tier, n in pairs(count) do
      add(tier, longest[tier], n == #run and n or apart_in_run(run, tier), n)
    end
  end
  return tally
end

-- A `longest` member: groups of one length sort together, and a group's longest run first.
local LONGEST_SCALE = 999999
local function longest_prefix(group)
  return string.format('%03d', #group) .. group
end
local function longest_member(group, longest, row)
  return longest_prefix(group) .. string.format('%06d', LONGEST_SCALE - longest) .. row
end

local NO_FIGURES = {0, 0, 0}

-- Moves the row's groups (its filters over the show and over its section) from its `old` tally to `new`:
-- only the figures that changed, in one read and one write of `free` and at most two writes of `longest`.
local function retally(row, section, old, new)
  local tiers = {}
  for tier in pairs(old) do tiers[tier] = true end
  for tier in pairs(new) do tiers[tier] = true end
  local fields, deltas, gone, added = {}, {}, {}, {}
  local function count(field, delta)
    if delta ~= 0 then
      fields[#fields + 1] = field
      deltas[#fields] = delta
    end
  end
  for tier in pairs(tiers) do
    local was, now = old[tier] or NO_FIGURES, new[tier] or NO_FIGURES
    for _, group in ipairs({tier, tier .. '|' .. section}) do
      count('f' .. group, now[3] - was[3])
      if tier ~= '' then count('a' .. group, now[2] - was[2]) end
      if now[1] ~= was[1] then
        if was[1] > 0 then gone[#gone + 1] = longest_member(group, was[1], row) end
        if now[1] > 0 then
          added[#added + 1] = '0'
          added[#added + 1] = longest_member(group, now[1], row)
        end
      end
    end
  end
  if #fields > 0 then
    local counts, set, emptied = redis.call('HMGET', K_FREE, unpack(fields)), {}, {}
    for i, field in ipairs(fields) do
      local n = tonumber(counts[i] or 0) + deltas[i]
      if n == 0 then
        emptied[#emptied + 1] = field
      else
        set[#set + 1] = field
        set[#set + 1] = string.format('%d', n)
      end
    end
    if #set > 0 then redis.call('HSET', K_FREE, unpack(set)) end
    if #emptied > 0 then redis.call('HDEL', K_FREE, unpack(emptied)) end
  end
  if #gone > 0 then redis.call('ZREM', K_LONGEST, unpack(gone)) end
  if #added > 0 then redis.call('ZADD', K_LONGEST, unpack(added)) end
end

-- What a request for seats of `tier` ('' any) in `sections` (a list; empty: every section) could have
-- at most: the longest run of them side by side in one row, and how many apart (`single`: as the apart
-- chooser picks them with the single-seat rule and no limit). Reads no seat.
local function free_figures(tier, sections, single)
  local groups, fields, together, apart = {}, {}, 0, 0
  if #sections == 0 then groups[1] = tier end
  for i, section in ipairs(sections) do groups[i] = tier .. '|' .. section end
  local kind = (single and tier ~= '') and 'a' or 'f'
  for i, group in ipairs(groups) do
    local prefix = longest_prefix(group)
    local first = redis.call('ZRANGEBYLEX', K_LONGEST, '[' .. prefix, '[' .. prefix .. '\255', 'LIMIT', 0, 1)
    if #first > 0 then
      together = math.max(together, LONGEST_SCALE - tonumber(string.sub(first[1], #prefix + 1, #prefix + 6)))
    end
    fields[i] = kind .. group
  end
  for _, n in ipairs(redis.call('HMGET', K_FREE, unpack(fields))) do apart = apart + tonumber(n or 0) end
  return together, apart
end

-- The `runs` members of a filter's runs of one length: the prefix all of them share, and one of them.
local function runs_prefix(filter, length)
  return longest_prefix(filter) .. string.format('%06d', length)
end
local RUNS_RANK_DIGITS = 10  -- ranks stay below 2^32
local RUNS_RANK_FORMAT = '%0' .. RUNS_RANK_DIGITS .. 'd'
local function runs_member(filter, length, rank, row)
  return runs_prefix(filter, length) .. string.format(RUNS_RANK_FORMAT, rank) .. row
end

-- The row's entries of `runs` in `state` (its status characters): filter -> length -> best rank (each
-- one member, runs_member), and the lengths of its runs of free seats. `info` has the row's detail
-- (row_info).
local function run_ranks(info, state)
  local best, lengths = {}, {}
  local function note(filter, length, rank)
    local of_filter = best[filter] or {}
    best[filter] = of_filter
    if not of_filter[length] or rank < of_filter[length] then of_filter[length] = rank end
  end
  local ranks, tiers = info.ranks, info.tiers
  for first, after in string.gmatch(state, '()a+()') do
    local length, top = after - first, ranks[first]
    lengths[#lengths + 1] = length
    if info.tier then
      for pos = first + 1, after - 1 do
        if ranks[pos] < top then top = ranks[pos] end
      end
      note('', length, top)
      if info.tier ~= '' then note(info.tier, length, top) end
    else
      -- The run's stretches of one tier each (a seat without a tier is no tier's candidate).
      local from = first
      while from < after do
        local tier, low, to = tiers[from], ranks[from], from + 1
        while to < after and tiers[to] == tier do
          if ranks[to] < low then low = ranks[to] end
          to = to + 1
        end
        if low < top then top = low end
        if tier ~= '' then
          local stretch = to - from
          note(tier, stretch, low)
          if stretch < length and stretch > 1 then note(tier, stretch - 1, low) end
        end
        from = to
      end
      note('', length, top)
    end
  end
  return best, lengths
end

-- The members of `runs` in `ranks` (run_ranks) that `other` does not have, in a list, each after `score`
-- when one is given (a ZADD's arguments). Only these are built: the row's entries that a change leaves as
-- they were cost no text.
local function runs_members_apart(row, ranks, other, score)
  local list = {}
  for filter, of_filter in pairs(ranks) do
    local of_other = other[filter] or {}
    for length, rank in pairs(of_filter) do
      if of_other[length] ~= rank then
        if score then list[#list + 1] = score end
        list[#list + 1] = runs_member(filter, length, rank, row)
      end
    end
  end
  return list
end

-- The row's tally (tally_runs) in `state`, its runs' `lengths` from run_ranks.
local function state_tally(info, state, lengths)
  if info.tier then
    -- One tier for the whole row: the tier's figures are the row's, as every run is all of the tier.
    local longest, free = 0, 0
    for _, length in ipairs(lengths) do
      if length > longest then longest = length end
      free = free + length
    end
    if free == 0 then return {} end
    local figures = {longest, free, free}
    if info.tier == '' then return {[''] = figures} end
    return {[''] = figures, [info.tier] = figures}
  end
  local runs = {}
  for first, after in string.gmatch(state, '()a+()') do
    local run = {}
    for pos = first, after - 1 do run[#run + 1] = {rank = info.ranks[pos], tier = info.tiers[pos]} end
    runs[#runs + 1] = run
  end
  return tally_runs(runs)
end

-- Moves the row's part of the index (`runs`, `free`, `longest`) from its status characters
-- `before` (nil: the index has nothing of the row) to `after`, writing only what differs. `info` has the
-- row's detail (row_info).
local function index_row(row, info, before, after)
  local old_ranks, old_tally = {}, {}
  if before then
    local lengths
    old_ranks, lengths = run_ranks(info, before)
    old_tally = state_tally(info, before, lengths)
  end
  local ranks, lengths = run_ranks(info, after)
  local tally = state_tally(info, after, lengths)
  local gone = runs_members_apart(row, old_ranks, ranks)
  local added = runs_members_apart(row, ranks, old_ranks, '0')
  if #gone > 0 then redis.call('ZREM', K_RUNS, unpack(gone)) end
  if #added > 0 then redis.call('ZADD', K_RUNS, unpack(added)) end
  retally(row, info.section, old_tally, tally)
end

-- Redis keeps a hash of up to hash-max-listpack-entries fields (512 by default) as a listpack, where
-- finding a field walks the fields before it: about 7,000 instructions a field read in a 400-row show,
-- a few hundred in a hash table. A value longer than hash-max-listpack-value (64 bytes by
-- default) makes the hash a hash table for good, so every hash of the show holds this field, set when
-- the show is loaded; but `zones`, a few fields for each GA zone, which the snapshot hands over whole.
-- No seat, row, hold, buyer, address, label or group is named so.
local TABLE_FIELD = '#table'
local TABLE_VALUE = 'longer than hash-max-listpack-value: keeps this hash a hash table, however few its fields'

local function keep_hashes_as_tables()
  for _, key in ipairs({K_INV, K_IDX, K_HOLDER, K_HOLDS, K_BUYERS, K_ORDERED, K_ADDRESSES, K_PLACES, K_ROWS,
                        K_LABELS, K_FREE, K_ROWRANKS}) do
    redis.call('HSET', key, TABLE_FIELD, TABLE_VALUE)
  end
end

-- The runs index and the tallies rebuilt from every row's seats (the show loaded from PostgreSQL).
local function index_all_rows()
  redis.call('DEL', K_RUNS, K_FREE, K_LONGEST)
  keep_hashes_as_tables()
  for _, row in ipairs(redis.call('HKEYS', K_ROWS)) do
    local info = row ~= TABLE_FIELD and row_info(row, true)
    if info then index_row(row, info, nil, info.state) end
  end
  redis.call('HSET', K_FREE, 'ready', INDEX_LAYOUT)
end

-- Brings the best-available structures in step with the status codes of seats (seat -> code): each
-- touched row's status characters, the index of free seats, and the row's index when its free seats
-- changed.
local function place_seats(codes)
  local by_row, ranked, unranked = {}, {}, {}
  for seat, code in pairs(codes) do
    local rank, offset, row = seat_place(seat)
    if rank then
      local changes = by_row[row] or {}
      by_row[row] = changes
      changes[#changes + 1] = {seat = seat, code = code, rank = rank, offset = offset}
    end
  end
  for row, changes in pairs(by_row) do
    local info = row_info(row, false)
    if info then
      local before = info.state
      local after, moved = before, false
      for _, change in ipairs(changes) do
        local pos = change.offset - info.start + 1
        local was = string.sub(after, pos, pos)
        if was ~= change.code then after = string.sub(after, 1, pos - 1) .. change.code .. string.sub(after, pos + 1) end
        if (was == 'a') ~= (change.code == 'a') then
          moved = true
          if change.code == 'a' then
            ranked[#ranked + 1] = change.rank
            ranked[#ranked + 1] = change.seat
          else
            unranked[#unranked + 1] = change.seat
          end
        end
      end
      if after ~= before then
        redis.call('SETRANGE', K_ROWSTATE, info.start, after)
        info.state = after
      end
      if moved and row_info(row, true) then index_row(row, info, before, after) end
    end
  end
  if #ranked > 0 then redis.call('ZADD', K_RANKED, unpack(ranked)) end
  if #unranked > 0 then redis.call('ZREM', K_RANKED, unpack(unranked)) end
end

-- Publishes what this script changed, if anything: the status string, the version, the log (for
-- SSE resume) and the shard channel (live SSE), all in the same atomic step as the change itself.
local function emit(reset)
  if not dirty and not reset then return end
  local seats = {}
  for seat, known in pairs(changed_seats) do
    local code = known
    if code == true then code = seat_code(seat) end
    if code then
      seats[seat] = code
      local idx = redis.call('HGET', K_IDX, seat)
      if idx then redis.call('SETRANGE', K_STATUS, idx, code) end
    end
  end
  place_seats(seats)
  local zones = {}
  for zone in pairs(changed_zones) do
    zones[zone] = zone_remaining(zone)
  end
  local body = cjson.encode({v = current_version(redis.call('INCR', K_VERSION)), seats = seats, zones = zones,
                             reset = reset})
  local id = redis.call('XADD', K_LOG, 'MAXLEN', '~', LOG_LENGTH, '*', 'm', body)
  redis.call('SPUBLISH', CHANNEL, id .. ' ' .. body)
end
