-- Extend or release a hold; both need its owner and its token (fencing).
-- ARGV[3] 'extend' | 'release', [4] hold id, [5] owner, [6] token sha256, [7] hold ms (extend)
-- Returns {'extended', expires ms, max expires ms} | {'released'} | {'not_found'} | {'bad_token'}
--   | {'at_cap', expires ms, max expires ms}
local function change()
  local now = now_ms()
  purge(now)
  local hid = ARGV[4]
  local raw = redis.call('HGET', K_HOLDS, hid)
  if not raw then return {'not_found'} end
  local rec = cjson.decode(raw)
  if rec.o ~= ARGV[5] then return {'not_found'} end
  if rec.t ~= ARGV[6] then return {'bad_token'} end
  if ARGV[3] == 'release' then
    drop_hold(hid, raw)
    return {'released'}
  end
  local current = tonumber(redis.call('ZSCORE', K_EXPIRY, hid))
  local wanted = math.min(now + tonumber(ARGV[7]), rec.m)
  if wanted <= current then return {'at_cap', current, rec.m} end
  redis.call('ZADD', K_EXPIRY, 'XX', wanted, hid)
  return {'extended', wanted, rec.m}
end

local result = change()
emit(false)
return result
