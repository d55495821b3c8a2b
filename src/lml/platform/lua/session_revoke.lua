-- Record a revoked session in the log that every API process reads (a stream, oldest first).
-- KEYS[1]  the log
-- ARGV[1]  the session id, ARGV[2] seconds during which a token of the session may still be accepted
-- Entries carry the time until which they matter (`until`, epoch seconds on Redis' clock); those past
-- it are dropped from the head here, a few per call, so the log holds little more than what matters.
-- Returns the new entry's id.
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
local seconds = tonumber(ARGV[2])

local id = redis.call('XADD', KEYS[1], '*', 'session', ARGV[1], 'until', string.format('%.3f', now + seconds))

for _ = 1, 10 do
    local head = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
    if head == nil or head[1] == id then
        break
    end
    local fields = head[2]
    local expired = true
    for i = 1, #fields, 2 do
        if fields[i] == 'until' and tonumber(fields[i + 1]) > now then
            expired = false
        end
    end
    if not expired then
        break
    end
    redis.call('XDEL', KEYS[1], head[1])
end

-- The whole log may go once its newest entry no longer matters.
if redis.call('PTTL', KEYS[1]) < seconds * 1000 then
    redis.call('PEXPIRE', KEYS[1], math.ceil(seconds * 1000))
end
return id
