-- wrk script for bench/load.py: asks for the URLs of one file in order (the threads take turns, so the
-- first N requests are the file's first N lines), sends a browser's Accept-Encoding, and counts X-Cache
-- answers and error statuses across threads.
local threads = {}
local started = 0

function setup(thread)
  started = started + 1
  thread:set("id", started)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  step = tonumber(args[2])
  position = id - 1 - step
  hits, made, misses, failed = 0, 0, 0, 0
  wrk.headers["Accept-Encoding"] = "gzip, deflate, br, zstd"
end

function request()
  position = (position + step) % #paths
  return wrk.format("GET", paths[position + 1])
end

function response(status, headers, body)
  local cache = headers["X-Cache"]
  if cache == "hit" then
    hits = hits + 1
  elseif cache == "made" then
    made = made + 1
  elseif cache == "miss" then
    misses = misses + 1
  end
  if status >= 400 then
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local cache_hits, cache_made, cache_misses, error_statuses = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    cache_hits = cache_hits + thread:get("hits")
    cache_made = cache_made + thread:get("made")
    cache_misses = cache_misses + thread:get("misses")
    error_statuses = error_statuses + thread:get("failed")
  end
  local errors = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "microseconds": %d, "p50": %d, "p95": %d, "p99": %d, ' ..
    '"socket_errors": %d, "error_statuses": %d, "cache_hits": %d, "cache_made": %d, "cache_misses": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), errors.connect + errors.read + errors.write + errors.timeout,
    error_statuses, cache_hits, cache_made, cache_misses))
end
