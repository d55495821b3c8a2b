-- KEYS[1] the idempotency record; ARGV[1] request fingerprint; ARGV[2] in-flight lock (ms)
-- Returns {"proceed"} | {"mismatch"} | {"in_flight", pttl} | {"replay", sealed response}
local record = redis.call('HMGET', KEYS[1], 'state', 'fingerprint', 'response')
if not record[1] then
  redis.call('HSET', KEYS[1], 'state', 'running', 'fingerprint', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {'proceed'}
end
if record[2] ~= ARGV[1] then
  return {'mismatch'}
end
if record[1] == 'running' then
  return {'in_flight', redis.call('PTTL', KEYS[1])}
end
return {'replay', record[3]}
