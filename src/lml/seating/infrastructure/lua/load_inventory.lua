-- Rebuild a show's inventory from PostgreSQL (first use, or after a flush or restart), in calls of
-- seats given in the canonical order (and of buyers' ordered places); the last call carries the
-- zones and sets the marker that lets holds be placed. A row already in Redis with a newer version
-- (written by the order flow meanwhile) keeps it: the snapshot never moves a sold seat back to
-- available, nor a buyer's count back. Seats with a place (rank, offset, row, tier) go into the
-- best-available structures too; the rows (with their seats' ranks) and the sections' and tiers' labels
-- come with them, and the last call indexes every row's free runs from scratch.
-- ARGV[3] epoch (ms), [4] position of the call's first seat, [5] '1' on the last call, [6] number of
-- seats n, [7] number of zones z, [8] number of rows r, [9] number of labels l, then n
-- seat/state/version/place quadruples (place '' when the seat has none), z zone/capacity/taken/version
-- quadruples, r row/"start,length,section"/ranks triples (ranks: the row's `rowranks`), l label/seats pairs,
-- then buyer/places/version triples.
if redis.call('EXISTS', K_LOADED) == 1 then return 0 end
local offset, n, z, r, l = tonumber(ARGV[4]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]),
  tonumber(ARGV[9])
local codes = {}
for i = 10, 9 + 4 * n, 4 do
  local seat, state, version, place = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), ARGV[i + 3]
  local current = redis.call('HGET', K_INV, seat)
  if not current or row_version(current) < version then
    redis.call('HSET', K_INV, seat, state .. version)
  end
  redis.call('HSET', K_IDX, seat, offset + #codes)
  local code = seat_code(seat)
  codes[#codes + 1] = code
  if place ~= '' then
    -- What Redis had of the seat's row before may be stale: its status character and its place among the
    -- free seats are set whatever they were.
    redis.call('HSET', K_PLACES, seat, place)
    local rank, at = parse_place(place)
    redis.call('SETRANGE', K_ROWSEATS, at * 16, seat)
    redis.call('SETRANGE', K_ROWSTATE, at, code)
    if code == 'a' then
      redis.call('ZADD', K_RANKED, rank, seat)
    else
      redis.call('ZREM', K_RANKED, seat)
    end
  end
end
if #codes > 0 then redis.call('SETRANGE', K_STATUS, offset, table.concat(codes)) end
local rows = 10 + 4 * n + 4 * z
local labels = rows + 3 * r
local buyers = labels + 2 * l
for i = rows, labels - 1, 3 do
  redis.call('HSET', K_ROWS, ARGV[i], ARGV[i + 1])
  redis.call('HSET', K_ROWRANKS, ARGV[i], ARGV[i + 2])
end
for i = labels, buyers - 1, 2 do redis.call('HSET', K_LABELS, ARGV[i], ARGV[i + 1]) end
for i = buyers, #ARGV, 3 do
  set_ordered(ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]))
end
if ARGV[5] ~= '1' then return 1 end
for i = 10 + 4 * n, rows - 1, 4 do
  local zone, capacity, taken, version = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  redis.call('HSET', K_ZONES, 'cap:' .. zone, capacity)
  redis.call('HSETNX', K_ZONES, 'held:' .. zone, 0)
  local current = redis.call('HGET', K_ZONES, 'ver:' .. zone)
  if not current or tonumber(current) < version then
    redis.call('HSET', K_ZONES, 'taken:' .. zone, taken, 'ver:' .. zone, version)
  end
end
index_all_rows()
redis.call('SET', K_LOADED, ARGV[3])
emit(true)
return 1
