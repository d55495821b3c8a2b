-- wrk script of the seating hold storm (driven by benchmarks/seating_hold_storm.py):
--   wrk -t2 -c64 -d10s -s benchmarks/seating_hold_storm.lua URL -- TOKENS SEATS SHOW_ID SEATS_PER_HOLD
--   wrk -t2 -c64 -d10s -s benchmarks/seating_hold_storm.lua URL -- TOKENS best SHOW_ID SEATS_PER_HOLD
--   wrk -t2 -c64 -d10s -s benchmarks/seating_hold_storm.lua URL -- ceiling     (GET /livez, the same way)
--   wrk -t2 -c64 -d10s -s benchmarks/seating_hold_storm.lua URL -- get PATH [ETAG]   (GET PATH, with
--     If-None-Match: ETAG when given: benchmarks/seating_browse.py)
-- Each request is one buyer (a random one of TOKENS) asking for a block of adjacent seats starting at a
-- random seat of SEATS (ascending seat ids), so that asks overlap; or, with `best` instead of SEATS,
-- for the best SEATS_PER_HOLD seats together (best available): then a thread stops at its first 409,
-- which means no block of that size is left (the show is sold out for it). Counts answers per status
-- and prints one JSON line: status counts and latency percentiles (microseconds) of every request.
local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local tokens, seats, path, per, ceiling, best = {}, {}, nil, 2, false, false
local get_headers = {}
statuses = {}

function init(args)
  if args[1] == "ceiling" or args[1] == "get" then
    ceiling = true
    path = args[2] or "/livez"
    if args[3] then get_headers["If-None-Match"] = args[3] end
    return
  end
  for line in io.lines(args[1]) do tokens[#tokens + 1] = "Bearer " .. line end
  best = args[2] == "best"
  if not best then
    for line in io.lines(args[2]) do seats[#seats + 1] = line end
  end
  path = "/v1/shows/" .. args[3] .. "/holds"
  per = tonumber(args[4])
  math.randomseed(os.time() * 1000 + id)
end

function request()
  if ceiling then return wrk.format("GET", path, get_headers) end
  local body
  if best then
    body = '{"best_available":{"quantity":' .. per .. '}}'
  else
    local first = math.random(#seats - per + 1)
    body = '{"seat_ids":["' .. table.concat(seats, '","', first, first + per - 1) .. '"]}'
  end
  local headers = {["Authorization"] = tokens[math.random(#tokens)], ["Content-Type"] = "application/json"}
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if best and status == 409 then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      total[tostring(status)] = (total[tostring(status)] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(total) do parts[#parts + 1] = string.format('"%s":%d', status, n) end
  io.write(string.format(
    'RESULT {"statuses":{%s},"requests":%d,"seconds":%.3f,"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"socket_errors":%d}\n',
    table.concat(parts, ","), summary.requests, summary.duration / 1e6, latency:percentile(50),
    latency:percentile(95), latency:percentile(99), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
