-- Availability: expired holds dropped first, so the answer is exact at this instant.
-- ARGV[3] the version the caller already has ('' for none).
-- Returns {'not_loaded'} | {'same', version, last log id} | {'full', version, last log id, status string, zones hash...}
if redis.call('EXISTS', K_LOADED) == 0 then return {'not_loaded'} end
purge(now_ms())
emit(false)
local version = current_version()
local last = redis.call('XREVRANGE', K_LOG, '+', '-', 'COUNT', 1)
local last_id = '0-0'
if last[1] then last_id = last[1][1] end
if version == ARGV[3] then return {'same', version, last_id} end
local reply = {'full', version, last_id, redis.call('GET', K_STATUS) or ''}
for _, item in ipairs(redis.call('HGETALL', K_ZONES)) do reply[#reply + 1] = item end
return reply
