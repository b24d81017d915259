-- bench/call_next.lua: staff calling the next customer (POST /api/queues/{id}/call-next),
-- for bench/run.sh.
--
-- Arguments (after "--"): host=TENANT_HOST token=JWT queues=ID,ID,... [clients=N]
-- Requests go round the list of queues in turn (each thread starting at its own place), so
-- the load is spread over queues that bench/run.sh filled beforehand. An empty queue answers
-- 409 queue_empty; only 2xx counts as a call. A thread stops at its first 409: the queues,
-- called in turn, are then (all but) empty, and the run's rate is over the time it had
-- customers to call rather than diluted by answers to nobody.

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local bench = dofile(dir .. "common.lua")

local queues, n = {}, 0

bench.install({
  stop = function(status) return status == 409 end,
  init = function(arg)
    queues = bench.split(arg.queues)
    wrk.method = "POST"
    wrk.headers["Accept"] = "application/json"
  end,
})

function request()
  bench.stamp()
  n = n + 1
  local queue = queues[((n + id * 7 - 8) % #queues) + 1]
  return wrk.format(nil, "/api/queues/" .. queue .. "/call-next")
end
