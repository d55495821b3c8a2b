-- Token buckets, refilled continuously, decided on Redis' own clock: the one implementation of every
-- script that spends a rate budget (token_bucket.lua; a store's script that spends a request's
-- budgets in the same step as its own work). A bucket is a hash {tokens, ts}; an idle one expires
-- once it would be full again.

local function clock_ms()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

-- One bucket: `mode` take (spend `cost` tokens if there), lease (spend as many of `cost` tokens as
-- are there, at least one), peek (only tell), charge (spend even into debt: for what has already
-- happened, so that requests that passed a peek together are all paid for, and the wait grows).
-- Returns {allowed (0|1), tokens left (floor, at least 0), ms until full, ms until `cost` tokens are
-- there (0 if allowed), tokens spent}
local function spend_bucket(key, capacity, rate, cost, mode, now)
  local state = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(state[1])
  local last = tonumber(state[2])
  if tokens == nil or last == nil then
    tokens = capacity
    last = now
  end
  tokens = math.min(capacity, tokens + math.max(0, now - last) * rate / 1000)
  if mode == 'lease' then
    cost = math.max(1, math.min(cost, math.floor(tokens)))
  end
  local allowed = 0
  local wait_ms = 0
  local spent = 0
  if tokens >= cost then
    allowed = 1
  else
    wait_ms = math.ceil((cost - tokens) * 1000 / rate)
  end
  if mode == 'charge' or ((mode == 'take' or mode == 'lease') and allowed == 1) then
    tokens = tokens - cost
    spent = cost
  end
  local full_ms = math.ceil((capacity - tokens) * 1000 / rate)
  if mode ~= 'peek' then
    redis.call('HSET', key, 'tokens', string.format('%.6f', tokens), 'ts', string.format('%d', now))
    redis.call('PEXPIRE', key, math.max(full_ms, 1000))
  end
  return {allowed, math.max(0, math.floor(tokens)), full_ms, wait_ms, spent}
end

-- A request's buckets: keys[i] with capacity and refill per second at args[first + 2i - 2], [first + 2i - 1];
-- `cost` tokens of each, in turn, until one refuses (the buckets before it stay spent).
-- Returns the refusing bucket's answer, else the last one's, with that bucket's number (1-based) fifth
-- (before the tokens spent). `now`: Redis's clock when the caller has just read it (TIME).
local function spend_buckets(keys, args, first, cost, mode, now)
  now = now or clock_ms()
  local answer
  for i, key in ipairs(keys) do
    local at = first + 2 * i - 2
    answer = spend_bucket(key, tonumber(args[at]), tonumber(args[at + 1]), cost, mode, now)
    table.insert(answer, 5, i)
    if answer[1] == 0 and mode ~= 'charge' then return answer end
  end
  return answer
end

-- The request's budgets when a store's script spends them in the same step as its own work: its last
-- `count` KEYS, one token each, capacities and refills from args[first]; `now` as spend_buckets. Returns
-- spend_buckets' answer (`{}` when count is 0) and whether a bucket refused.
local function spend_request_buckets(count, args, first, now)
  if count == 0 then return {}, false end
  local buckets = {}
  for i = 1, count do buckets[i] = KEYS[#KEYS - count + i] end
  local answer = spend_buckets(buckets, args, first, 1, 'take', now)
  return answer, answer[1] == 0
end

-- Several budgets kept apart, each answered on its own (bills: a request's budgets whose answers differ,
-- or the readers sharing one call), one token of each bucket spent in the same step as a script's
-- work. ARGV from `at` on: the number of bills, then each bill's bucket count b and its b buckets'
-- capacity and refill per second; the buckets are the last KEYS, bill after bill. Each bill's buckets
-- are spent in order (spend_buckets; `{}` answers a bill of no bucket); with `stop_at_refusal`, no bill
-- after the first that refused. All by one reading of Redis's clock: `now` when the caller has just read
-- it (TIME). Returns the bills' answers, whether one refused, whether one went through.
local function spend_bills(at, stop_at_refusal, now)
  local bills, total, arg = tonumber(ARGV[at]), 0, at + 1
  for _ = 1, bills do
    local count = tonumber(ARGV[arg])
    total, arg = total + count, arg + 1 + 2 * count
  end
  if total > 0 then now = now or clock_ms() end
  local rates, refused, through = {}, false, false
  local key = #KEYS - total + 1
  arg = at + 1
  for i = 1, bills do
    local count = tonumber(ARGV[arg])
    local buckets = {}
    for k = 1, count do buckets[k] = KEYS[key + k - 1] end
    rates[i] = count == 0 and {} or spend_buckets(buckets, ARGV, arg + 1, 1, 'take', now)
    if count > 0 and rates[i][1] == 0 then
      refused = true
      if stop_at_refusal then break end
    else
      through = true
    end
    key, arg = key + count, arg + 1 + 2 * count
  end
  return rates, refused, through
end
