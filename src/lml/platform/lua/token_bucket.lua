-- A token bucket, refilled continuously, decided atomically on Redis' own clock.
-- KEYS[1]  the bucket (a hash: tokens, ts)
-- ARGV[1]  capacity (tokens), ARGV[2] refill per second, ARGV[3] cost of this request,
-- ARGV[4]  what to do (default take):
--   take    spend `cost` tokens if the bucket has them
--   peek    only tell whether `cost` tokens are there; the bucket is left as it is
--   charge  spend `cost` tokens even into debt: for what has already happened (a failed password),
--           so that requests that passed a peek together are all paid for, and the wait grows
--   reset   forget the bucket: it is full again
-- Returns {allowed (0|1), tokens left (floor, at least 0), ms until full, ms until `cost` tokens are there (0 if allowed)}
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local mode = ARGV[4] or 'take'

if mode == 'reset' then
    redis.call('DEL', KEYS[1])
    return {1, capacity, 0, 0}
end

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
    allowed = 1
else
    wait_ms = math.ceil((cost - tokens) * 1000 / rate)
end
if mode == 'charge' or (mode == 'take' and allowed == 1) then
    tokens = tokens - cost
end
local full_ms = math.ceil((capacity - tokens) * 1000 / rate)

if mode ~= 'peek' then
    redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'ts', string.format('%d', now))
    -- A bucket that would be full again holds no information: let it vanish.
    redis.call('PEXPIRE', KEYS[1], math.max(full_ms, 1000))
end
return {allowed, math.max(0, math.floor(tokens)), full_ms, wait_ms}
