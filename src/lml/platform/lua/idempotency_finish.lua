-- KEYS[1] the idempotency record; ARGV[1] fingerprint; ARGV[2] "store" | "abandon";
-- ARGV[3] ttl (ms); ARGV[4] the sealed response (status, headers and body, encrypted)
-- Only the request that began the record may finish it.
local record = redis.call('HMGET', KEYS[1], 'state', 'fingerprint')
if record[1] ~= 'running' or record[2] ~= ARGV[1] then
  return 0
end
if ARGV[2] == 'abandon' then
  redis.call('DEL', KEYS[1])
  return 1
end
redis.call('HSET', KEYS[1], 'state', 'done', 'response', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
