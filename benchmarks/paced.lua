-- request.lua with a think time: each connection waits THINK ms before its next request, so that
-- the load stays below what the server can take and the latency is a request's own, not a queue's.
--
--   wrk ... -s paced.lua URL -- METHOD MAX_PER_THREAD AUTH BODY_FILE VARY THINK
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "request.lua")

think = 0
local request_init = init

function init(args)
  request_init(args)
  think = tonumber(args[6]) or 0
end

function delay()
  return think
end
