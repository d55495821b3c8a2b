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
local K_RUNS = KEYS[21]
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

-- The row's range in the row strings ("start,length,section"): start offset, length.
local function row_range(spec)
  local start, len = string.match(spec, '^(%d+),(%d+),')
  return tonumber(start), tonumber(len)
end

-- Indexes the row's free runs (see `runs`) from its status characters and its seats' ranks; `fresh`:
-- the index has no entry of the row to drop.
local function index_row(row, spec, fresh)
  local start, len = row_range(spec)
  if not fresh then
    local stale = {}
    for length = 1, len do stale[length] = row .. ':' .. length end
    redis.call('ZREM', K_RUNS, unpack(stale))
  end
  local state = redis.call('GETRANGE', K_ROWSTATE, start, start + len - 1)
  if not string.find(state, 'a', 1, true) then return end
  local ids = redis.call('GETRANGE', K_ROWSEATS, start * 16, (start + len) * 16 - 1)
  local free, positions = {}, {}
  for pos = 1, len do
    if string.sub(state, pos, pos) == 'a' then
      free[#free + 1] = string.sub(ids, pos * 16 - 15, pos * 16)
      positions[#positions + 1] = pos
    end
  end
  local places = redis.call('HMGET', K_PLACES, unpack(free))
  local best, run, run_best, last = {}, 0, nil, nil
  local function close_run()
    if run > 0 and (not best[run] or run_best < best[run]) then best[run] = run_best end
  end
  for i, pos in ipairs(positions) do
    local rank = tonumber(string.match(places[i], '^(%d+),'))
    if last and pos == last + 1 then
      run = run + 1
      if rank < run_best then run_best = rank end
    else
      close_run()
      run, run_best = 1, rank
    end
    last = pos
  end
  close_run()
  local scored = {}
  for length, rank in pairs(best) do
    scored[#scored + 1] = length * RUN_SCALE + rank
    scored[#scored + 1] = row .. ':' .. length
  end
  redis.call('ZADD', K_RUNS, unpack(scored))
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

-- The runs index rebuilt from every row's seats (the show loaded from PostgreSQL).
local function index_all_rows()
  redis.call('DEL', K_RUNS)
  local rows = redis.call('HGETALL', K_ROWS)
  for i = 1, #rows, 2 do index_row(rows[i], rows[i + 1], true) end
  rows_changed = {}
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

