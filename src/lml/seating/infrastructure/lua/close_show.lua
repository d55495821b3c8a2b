-- The show is cancelled: every live hold is dropped (its seats, places and buyer counts freed and
-- published like an expiry), and no hold is placed any more. Idempotent.
-- Returns the number of holds dropped.
purge(now_ms())
local held = redis.call('ZRANGE', K_EXPIRY, 0, -1)
for _, hid in ipairs(held) do
  local raw = redis.call('HGET', K_HOLDS, hid)
  if raw then drop_hold(hid, raw) else redis.call('ZREM', K_EXPIRY, hid) end
end
redis.call('SET', K_CLOSED, '1')
emit(false)
return #held
