-- bench/common.lua: helpers shared by the wrk scripts of bench/run.sh (not run on its own).
--
-- A scenario script loads this file with dofile, calls bench.install(opts) and defines
-- request(), which calls bench.stamp() before wrk.format(). install() defines wrk's callbacks:
--   setup(thread)   numbers the threads (thread:set("id", n)) and keeps them for done();
--   init(args)      parses the key=value arguments given after "--" on the wrk command line;
--   response(...)   counts each answer by status code, per thread, and stops the thread when
--                   opts.stop(status) says so (a scenario that used up its data), noting when;
--   done(...)       adds the threads' counts up and prints one machine-readable line:
--     BENCH_RESULT requests=N ok=N non2xx=N duration_us=N ok_per_sec=X p50_ms=X p99_ms=X
--                  connect_errors=N read_errors=N write_errors=N timeouts=N codes=201:N,409:N
-- wrk's own "Requests/sec" counts every answer, errors included; ok_per_sec counts only the
-- answers that opts.ok(status) accepts (2xx unless the scenario says otherwise), divided by
-- the run's real duration; when every thread stopped early, the time from the first thread's
-- start to the last one's stop (wrk itself still waits out the duration asked). Latency percentiles are wrk's, over every answer.
--
-- Many clients: with the argument clients=N, bench.stamp() gives each request an
-- X-Forwarded-For address out of N (at most 128000) in 198.18.0.0/15, the range set aside for
-- benchmarks (bench/run.sh's own requests use 198.19.254-255.x). A server that trusts the
-- loopback proxy (TRUSTED_PROXIES) then sees N clients rather than one, as it would in use,
-- and its per-client rate limits act as they would on N people.

local bench = {}

-- Microseconds on the monotonic clock (LuaJIT's FFI; plain Lua has no fine clock).
local ffi = require("ffi")
ffi.cdef([[
  struct bench_timespec { long tv_sec; long tv_nsec; };
  int clock_gettime(int clock, struct bench_timespec *ts);
]])
local CLOCK_MONOTONIC = 1
local ts = ffi.new("struct bench_timespec")
function bench.now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

local threads = {}
local clients, seq = 0, 0

-- Splits "a,b,c" into a list.
function bench.split(s)
  local out = {}
  for part in string.gmatch(s or "", "[^,]+") do
    out[#out + 1] = part
  end
  return out
end

-- Sets the next client's X-Forwarded-For on wrk.headers (when clients=N was given).
function bench.stamp()
  if clients > 0 then
    seq = seq + 1
    local k = ((id - 1) * 65537 + seq) % clients
    wrk.headers["X-Forwarded-For"] = string.format("198.%d.%d.%d",
      18 + math.floor(k / 65536), math.floor(k / 256) % 256, k % 256)
  end
end

function bench.install(opts)
  opts = opts or {}
  local ok = opts.ok or function(status) return status >= 200 and status < 300 end

  function setup(thread)
    threads[#threads + 1] = thread
    thread:set("id", #threads)
  end

  function init(args)
    arg = {}
    for _, a in ipairs(args) do
      local k, v = string.match(a, "^([%w_]+)=(.*)$")
      if k then arg[k] = v end
    end
    clients = math.min(tonumber(arg.clients) or 0, 128000)
    codes = {}
    good = 0
    started_us = bench.now_us()
    if arg.host then wrk.headers["Host"] = arg.host end
    if arg.token then wrk.headers["Authorization"] = "Bearer " .. arg.token end
    if opts.init then opts.init(arg) end
  end

  function response(status, headers, body)
    codes[status] = (codes[status] or 0) + 1
    if ok(status) then good = good + 1 end
    if opts.stop and not stopped_us and opts.stop(status) then
      stopped_us = bench.now_us()
      wrk.thread:stop()
    end
  end

  function done(summary, latency, requests)
    local total_ok, all_codes = 0, {}
    local first_start, last_stop, all_stopped = nil, 0, true
    for _, t in ipairs(threads) do
      local started, stopped = t:get("started_us"), t:get("stopped_us")
      if started and (not first_start or started < first_start) then first_start = started end
      if stopped then last_stop = math.max(last_stop, stopped) else all_stopped = false end
      total_ok = total_ok + (t:get("good") or 0)
      local c = t:get("codes") or {}
      for status, n in pairs(c) do
        all_codes[status] = (all_codes[status] or 0) + n
      end
    end
    local keys = {}
    for status in pairs(all_codes) do keys[#keys + 1] = status end
    table.sort(keys)
    local parts = {}
    for _, status in ipairs(keys) do parts[#parts + 1] = status .. ":" .. all_codes[status] end
    local e = summary.errors
    local duration_us = summary.duration
    if all_stopped and first_start then duration_us = math.min(duration_us, last_stop - first_start) end
    local secs = duration_us / 1e6
    io.write(string.format(
      "BENCH_RESULT requests=%d ok=%d non2xx=%d duration_us=%d ok_per_sec=%.1f p50_ms=%.2f p99_ms=%.2f "
        .. "connect_errors=%d read_errors=%d write_errors=%d timeouts=%d codes=%s\n",
      summary.requests, total_ok, summary.requests - total_ok, duration_us, total_ok / secs,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000,
      e.connect, e.read, e.write, e.timeout, table.concat(parts, ",")))
  end
end

return bench
