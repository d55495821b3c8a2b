-- A live hold's record, for ordering to verify and convert it.
-- ARGV[3] hold id. Returns {'ok', record JSON, expires ms} | {'not_found'}
local now = now_ms()
purge(now)
local raw = redis.call('HGET', K_HOLDS, ARGV[3])
local result = {'not_found'}
if raw then result = {'ok', raw, redis.call('ZSCORE', K_EXPIRY, ARGV[3])} end
emit(false)
return result
