-- bench/get.lua: one fixed GET, for the read scenarios of bench/run.sh.
--
-- Arguments (after "--"): host=TENANT_HOST path=/api/... [token=JWT] [clients=N]
--   customer status:  path=/api/queues/entry/<sessionId>        (public, no token)
--   queue details:    path=/api/queues/<queueId>  token=...     (staff)
--   queue list:       path=/api/queues            token=...     (staff)
-- Only the X-Forwarded-For address changes from one request to the next (see common.lua).

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local bench = dofile(dir .. "common.lua")

bench.install({
  init = function(arg)
    wrk.method = "GET"
    wrk.path = arg.path
    wrk.headers["Accept"] = "application/json"
  end,
})

function request()
  bench.stamp()
  return wrk.format()
end
