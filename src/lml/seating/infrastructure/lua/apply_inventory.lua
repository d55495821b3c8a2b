-- Follow PostgreSQL after a commit (order reserved, sold, released, refunded; seats blocked):
-- seat states, zone counts and the places of buyers' orders, each applied only if its row version
-- is newer than what Redis has (so a replayed or late message never moves a seat back), and the
-- holds that became orders dropped in the same step: a buyer's places are never counted both as
-- held and as ordered, whatever order the messages come in.
-- ARGV[3] number of holds to drop h, [4] number of seats n, [5] number of zones z, then h hold ids,
-- n seat/state/version triples, z zone/taken/version triples, then buyer/places/version triples.
-- Returns the number of rows that changed.
local now = now_ms()
purge(now)
local h, n, z = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local i = 6
for _ = 1, h do
  local raw = redis.call('HGET', K_HOLDS, ARGV[i])
  if raw then drop_hold(ARGV[i], raw) end
  i = i + 1
end
local changes = 0
for _ = 1, n do
  local seat, state, version = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local current = redis.call('HGET', K_INV, seat)
  if not current or row_version(current) < version then
    redis.call('HSET', K_INV, seat, state .. version)
    touch_seat(seat)
    changes = changes + 1
  end
  i = i + 3
end
for _ = 1, z do
  local zone, taken, version = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local current = redis.call('HGET', K_ZONES, 'ver:' .. zone)
  if not current or tonumber(current) < version then
    redis.call('HSET', K_ZONES, 'taken:' .. zone, taken, 'ver:' .. zone, version)
    touch_zone(zone)
    changes = changes + 1
  end
  i = i + 3
end
for j = i, #ARGV, 3 do
  if set_ordered(ARGV[j], ARGV[j + 1], tonumber(ARGV[j + 2])) then changes = changes + 1 end
end
emit(false)
return changes
