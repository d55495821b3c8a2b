-- A token bucket, refilled continuously, decided atomically on Redis' own clock.
-- KEYS[1]  the bucket (a hash: tokens, ts)
-- ARGV[1]  capacity (tokens), ARGV[2] refill per second, ARGV[3] cost of this request
-- Returns {allowed (0|1), tokens left (floor), ms until full, ms until `cost` tokens are there (0 if allowed)}
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local last = tonumber(state[2])
if tokens == nil or last == nil then
    tokens = capacity
    last = now
end
tokens = math.min(capacity, tokens + math.max(0, now - last) * rate / 1000)

local allowed = 0
local wait_ms = 0
if tokens >= cost then
    tokens = tokens - cost
    allowed = 1
else
    wait_ms = math.ceil((cost - tokens) * 1000 / rate)
end
local full_ms = math.ceil((capacity - tokens) * 1000 / rate)

redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'ts', string.format('%d', now))
-- A bucket that would be full again holds no information: let it vanish.
redis.call('PEXPIRE', KEYS[1], math.max(full_ms, 1000))
return {allowed, math.floor(tokens), full_ms, wait_ms}
