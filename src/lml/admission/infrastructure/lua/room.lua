-- One show's waiting room, shared by every admission script (the adapter puts it in front of each
-- one). Every key is the show's and carries its hash tag, so a script never spans Cluster slots:
--   room    HASH the room's facts: enabled, opens, on_sale ('' until the show is put on sale), closes
--           (ms), rate (admitted per minute), max_active, pass_ms, paused, closed (the sale is over);
--           and its state: sold_out, seq (joins once the sale is open), admitted (all time), tokens
--           and refilled (the bucket that spreads a minute's admissions over the minute)
--   of      HASH buyer -> entry id (one place per buyer)
--   who     HASH entry id -> buyer
--   line    ZSET entry id -> rank: random below 2^48 for the pre-queue, 2^48 + seq afterwards
--   active  ZSET entry id -> when its pass lapses (ms): the admitted buyers counted by max_active
--   recent  ZSET entry id -> when it was admitted (ms), the last minute's (the pace's hard cap)
--   log     STREAM the admissions: e entry, b buyer, t ms
-- ARGV[1] is the time in ms.
local K_ROOM, K_OF, K_WHO, K_LINE, K_ACTIVE, K_RECENT, K_LOG =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local NOW = tonumber(ARGV[1])
local LATER = 281474976710656 -- 2^48
local LOG_LENGTH = 200000

-- Passes that lapsed leave max_active, and their buyers the line (they may join again, at its end).
local function purge()
  local lapsed = redis.call('ZRANGEBYSCORE', K_ACTIVE, '-inf', NOW)
  for _, entry in ipairs(lapsed) do
    local buyer = redis.call('HGET', K_WHO, entry)
    if buyer then redis.call('HDEL', K_OF, buyer) end
    redis.call('HDEL', K_WHO, entry)
  end
  if #lapsed > 0 then redis.call('ZREMRANGEBYSCORE', K_ACTIVE, '-inf', NOW) end
  redis.call('ZREMRANGEBYSCORE', K_RECENT, '-inf', NOW - 60000)
end

-- {entry, state, rank or '', pass expiry or '', waiting, rate}
local function describe(entry)
  local f = redis.call('HMGET', K_ROOM, 'enabled', 'on_sale', 'paused', 'sold_out', 'closed', 'rate')
  local waiting = redis.call('ZCARD', K_LINE)
  local expires = redis.call('ZSCORE', K_ACTIVE, entry)
  if expires then return {entry, 'admitted', '', expires, waiting, f[6]} end
  local rank = redis.call('ZRANK', K_LINE, entry)
  if f[1] ~= '1' or f[5] == '1' or not rank then return {entry, 'closed', '', '', waiting, f[6]} end
  if f[2] == '' or NOW < tonumber(f[2]) then return {entry, 'pre_queue', '', '', waiting, f[6]} end
  local state = 'waiting'
  if f[3] == '1' then
    state = 'paused'
  elseif f[4] == '1' then
    state = 'sold_out'
  end
  return {entry, state, rank + 1, '', waiting, f[6]}
end

