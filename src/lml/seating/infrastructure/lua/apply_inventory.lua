-- Follow PostgreSQL after a commit (order reserved, sold, released, refunded; seats blocked):
-- seat states and zone counts, each applied only if its row version is newer than what Redis has
-- (so a replayed or late message never moves a seat back), and the converted hold dropped.
-- ARGV[3] hold id to drop ('' for none), [4] number of seats n, then n seat/state/version triples,
-- then zone/taken/version triples. Returns the number of seats and zones that changed.
local now = now_ms()
purge(now)
if ARGV[3] ~= '' then
  local raw = redis.call('HGET', K_HOLDS, ARGV[3])
  if raw then drop_hold(ARGV[3], raw) end
end
local n = tonumber(ARGV[4])
local changes = 0
for i = 5, 4 + 3 * n, 3 do
  local seat, state, version = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local current = redis.call('HGET', K_INV, seat)
  if not current or row_version(current) < version then
    redis.call('HSET', K_INV, seat, state .. version)
    touch_seat(seat)
    changes = changes + 1
  end
end
for i = 5 + 3 * n, #ARGV, 3 do
  local zone, taken, version = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local current = redis.call('HGET', K_ZONES, 'ver:' .. zone)
  if not current or tonumber(current) < version then
    redis.call('HSET', K_ZONES, 'taken:' .. zone, taken, 'ver:' .. zone, version)
    touch_zone(zone)
    changes = changes + 1
  end
end
emit(false)
return changes
