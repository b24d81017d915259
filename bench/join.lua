-- bench/join.lua: customers joining queues (POST /api/queues/{id}/join), for bench/run.sh.
--
-- Arguments (after "--"): host=TENANT_HOST queues=ID,ID,... threads=N [base=K] [clients=N]
-- Every request joins the next queue of the list in turn with a phone number no other
-- request of the run uses: +6012 followed by 7 digits, number base + (n-1)*threads + (id-1)
-- for the n-th request of thread id. A phone already waiting in a queue would answer 200
-- with the existing place, so only 201 (a new place) counts as a join here. Give each wrk
-- run against the same queues its own base. A thread stops at its first 409 (queue_full): the
-- queues, joined in turn, are then (all but) full, and the run's rate is over the time it had
-- room (see bench/common.lua).

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local bench = dofile(dir .. "common.lua")

local queues, nthreads, base, n = {}, 1, 0, 0

bench.install({
  ok = function(status) return status == 201 end,
  stop = function(status) return status == 409 end,
  init = function(arg)
    queues = bench.split(arg.queues)
    nthreads = tonumber(arg.threads) or 1
    base = tonumber(arg.base) or 0
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["Accept"] = "application/json"
  end,
})

function request()
  bench.stamp()
  n = n + 1
  local number = base + (n - 1) * nthreads + (id - 1)
  local queue = queues[((n + id - 2) % #queues) + 1]
  local body = string.format(
    '{"customerName":"Bench %d","customerPhone":"+6012%07d","partySize":2}', number, number % 10000000)
  return wrk.format(nil, "/api/queues/" .. queue .. "/join", nil, body)
end
