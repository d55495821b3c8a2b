-- The state of one show's holds, shared by every seating script (the adapter puts it in front of
-- each script when it loads it). Every key is one show's and carries its hash tag, so a script
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
--   ranked   ZSET seat -> rank, of the seats free right now (status 'a'): best first
--   labels   HASH s:<section>, t:<tier> -> seats: the sections and tiers a request may name
--   runs     ZSET "<row>:<length>" -> length * 2^32 + the best rank among the row's free seats (status
--            'a') that stand in a run of exactly that many free seats side by side: a block request
--            finds the rows that could hold it, best seat first, without reading any seat. Kept exact by
--            index_row whenever a seat's status changes, rebuilt whole when the show is loaded.
-- What a request that nothing fits is told, without reading a seat; kept exact with `runs`. A filter is
-- a tier ('' any); a group is a filter over the show ("<tier>") or over one section ("<tier>|<section>"):
--   rowfree  HASH row number -> "<tier>,<longest>,<apart>,<free>;..." for '' and each tier of the row's
--            free seats: the longest run of the filter's free seats side by side, how many of them the
--            apart chooser would pick with the single-seat rule and no limit, how many there are
--   free     HASH f<group> -> the group's free seats, a<group> -> its seats apart with the single-seat
--            rule (tiers only: with no tier the chooser takes every free seat), ready -> 1 once built
--   longest  ZSET (lexical, scores 0) of "<length of group, 3 digits><group><999999 - longest run,
--            6 digits><row>" for every group and row with a free seat: a group's first member names its
--            longest run
-- ARGV[1] is the time in ms ('' = the Redis server's clock), ARGV[2] the show's shard channel of
-- changes (sharded pub/sub: the channel carries the show's hash tag, so it lives in the keys' slot).
--
-- Expiry without a worker: a hold is live while its expiry score is in the future. Every script
-- first drops the holds whose score has passed (seats, zone places and buyer counts with them), so
-- what it reads is exact; the work is proportional to what expired since the last script ran.
local K_INV, K_IDX, K_HOLDER, K_HOLDS, K_EXPIRY, K_ZONES, K_BUYERS, K_STATUS, K_VERSION, K_LOG, K_LOADED =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11]
local K_ORDERED, K_ADDRESSES, K_CLOSED = KEYS[12], KEYS[13], KEYS[14]
local K_PLACES, K_ROWS, K_ROWSTATE, K_ROWSEATS, K_RANKED, K_LABELS = KEYS[15], KEYS[16], KEYS[17], KEYS[18],
  KEYS[19], KEYS[20]
local K_RUNS, K_ROWFREE, K_FREE, K_LONGEST = KEYS[21], KEYS[22], KEYS[23], KEYS[24]
local CHANNEL = ARGV[2]
local LOG_LENGTH = 1000

local function now_ms()
  if ARGV[1] ~= '' then return tonumber(ARGV[1]) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local changed_seats, changed_zones, dirty = {}, {}, false

local function touch_seat(seat)
  changed_seats[seat] = true
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

local function current_version()
  return (redis.call('GET', K_LOADED) or '0') .. '.' .. (redis.call('GET', K_VERSION) or '0')
end

-- A seat's place for best available: rank, offset in the row strings (0-based), row, tier; nil for a
-- show ranked before seat quality existed.
local function parse_place(raw)
  if not raw then return nil end
  local rank, offset, row, tier = string.match(raw, '^(%d+),(%d+),(%d+),(.*)$')
  return tonumber(rank), tonumber(offset), row, tier
end

-- A run's length and a rank in one score of `runs`: exact, as scores are doubles and ranks stay below 2^32.
local RUN_SCALE = 4294967296

-- The row's range in the row strings ("start,length,section"): start offset, length, section.
local function row_range(spec)
  local start, len, section = string.match(spec, '^(%d+),(%d+),(.*)$')
  return tonumber(start), tonumber(len), section
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

-- A row's tally (see `rowfree`): tier ('' any) -> {longest run, seats apart, free seats}, from its runs
-- of free seats side by side. With no tier every free seat is a candidate, and the apart chooser takes
-- a whole run (seat by seat, or a seat with the one it would leave alone).
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

local function encode_tally(tally)
  local parts = {}
  for tier, t in pairs(tally) do parts[#parts + 1] = tier .. ',' .. t[1] .. ',' .. t[2] .. ',' .. t[3] end
  return table.concat(parts, ';')
end

local function row_tally(row)
  local tally = {}
  local raw = redis.call('HGET', K_ROWFREE, row)
  if raw then
    for tier, longest, apart, free in string.gmatch(raw, '([^,;]*),(%d+),(%d+),(%d+)') do
      tally[tier] = {tonumber(longest), tonumber(apart), tonumber(free)}
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

local function count_free(field, n)
  if n ~= 0 and redis.call('HINCRBY', K_FREE, field, n) == 0 then redis.call('HDEL', K_FREE, field) end
end

-- Moves the row's groups (its filters over the show and over its section) from its `old` tally to `new`.
local function retally(row, section, old, new)
  local tiers = {}
  for tier in pairs(old) do tiers[tier] = true end
  for tier in pairs(new) do tiers[tier] = true end
  for tier in pairs(tiers) do
    local was, now = old[tier] or {0, 0, 0}, new[tier] or {0, 0, 0}
    for _, group in ipairs({tier, tier .. '|' .. section}) do
      count_free('f' .. group, now[3] - was[3])
      if tier ~= '' then count_free('a' .. group, now[2] - was[2]) end
      if now[1] ~= was[1] then
        if was[1] > 0 then redis.call('ZREM', K_LONGEST, longest_member(group, was[1], row)) end
        if now[1] > 0 then redis.call('ZADD', K_LONGEST, 0, longest_member(group, now[1], row)) end
      end
    end
  end
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

-- Indexes the row's free runs (see `runs`) and tallies them (`rowfree`, `free`, `longest`) from its
-- status characters and its seats' places; `fresh`: the index has nothing of the row to drop.
local function index_row(row, spec, fresh)
  local start, len, section = row_range(spec)
  local old = {}
  if not fresh then
    local stale = {}
    for length = 1, len do stale[length] = row .. ':' .. length end
    redis.call('ZREM', K_RUNS, unpack(stale))
    old = row_tally(row)
  end
  local state = redis.call('GETRANGE', K_ROWSTATE, start, start + len - 1)
  local runs = {}
  if string.find(state, 'a', 1, true) then
    local ids = redis.call('GETRANGE', K_ROWSEATS, start * 16, (start + len) * 16 - 1)
    local free, positions = {}, {}
    for pos = 1, len do
      if string.sub(state, pos, pos) == 'a' then
        free[#free + 1] = string.sub(ids, pos * 16 - 15, pos * 16)
        positions[#positions + 1] = pos
      end
    end
    local places, last = redis.call('HMGET', K_PLACES, unpack(free)), nil
    for i, pos in ipairs(positions) do
      local rank, _, _, tier = parse_place(places[i])
      if not last or pos ~= last + 1 then runs[#runs + 1] = {} end
      local run = runs[#runs]
      run[#run + 1] = {rank = rank, tier = tier}
      last = pos
    end
    local best = {}
    for _, run in ipairs(runs) do
      local run_best = run[1].rank
      for _, seat in ipairs(run) do
        if seat.rank < run_best then run_best = seat.rank end
      end
      if not best[#run] or run_best < best[#run] then best[#run] = run_best end
    end
    local scored = {}
    for length, rank in pairs(best) do
      scored[#scored + 1] = length * RUN_SCALE + rank
      scored[#scored + 1] = row .. ':' .. length
    end
    redis.call('ZADD', K_RUNS, unpack(scored))
  end
  local tally = tally_runs(runs)
  retally(row, section, old, tally)
  if #runs > 0 then
    redis.call('HSET', K_ROWFREE, row, encode_tally(tally))
  elseif next(old) then
    redis.call('HDEL', K_ROWFREE, row)
  end
end

-- The rows whose seats changed status in this script: emit indexes them again, once each.
local rows_changed = {}

-- Keeps the best-available structures in step with a seat's status code.
local function place_seat(seat, code)
  local rank, offset, row = parse_place(redis.call('HGET', K_PLACES, seat))
  if not rank then return end
  redis.call('SETRANGE', K_ROWSTATE, offset, code)
  if code == 'a' then
    redis.call('ZADD', K_RANKED, rank, seat)
  else
    redis.call('ZREM', K_RANKED, seat)
  end
  rows_changed[row] = true
end

-- The runs index and the tallies rebuilt from every row's seats (the show loaded from PostgreSQL).
local function index_all_rows()
  redis.call('DEL', K_RUNS, K_ROWFREE, K_FREE, K_LONGEST)
  local rows = redis.call('HGETALL', K_ROWS)
  for i = 1, #rows, 2 do index_row(rows[i], rows[i + 1], true) end
  rows_changed = {}
  redis.call('HSET', K_FREE, 'ready', 1)
end

-- Publishes what this script changed, if anything: the status string, the version, the log (for
-- SSE resume) and the shard channel (live SSE), all in the same atomic step as the change itself.
local function emit(reset)
  if not dirty and not reset then return end
  local seats = {}
  for seat in pairs(changed_seats) do
    local code = seat_code(seat)
    if code then
      seats[seat] = code
      local idx = redis.call('HGET', K_IDX, seat)
      if idx then redis.call('SETRANGE', K_STATUS, tonumber(idx), code) end
      place_seat(seat, code)
    end
  end
  for row in pairs(rows_changed) do
    local spec = redis.call('HGET', K_ROWS, row)
    if spec then index_row(row, spec, false) end
  end
  rows_changed = {}
  local zones = {}
  for zone in pairs(changed_zones) do
    zones[zone] = zone_remaining(zone)
  end
  redis.call('INCR', K_VERSION)
  local body = cjson.encode({v = current_version(), seats = seats, zones = zones, reset = reset})
  local id = redis.call('XADD', K_LOG, 'MAXLEN', '~', LOG_LENGTH, '*', 'm', body)
  redis.call('SPUBLISH', CHANNEL, id .. ' ' .. body)
end

