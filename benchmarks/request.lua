-- wrk script: one fixed request, a per-thread request cap, and a JSON summary line.
--
--   wrk -t T -c C -d SECONDS -s request.lua URL -- METHOD MAX_PER_THREAD AUTH [BODY_FILE [VARY]]
--
-- METHOD is GET, POST, PUT or PATCH; AUTH is the whole Authorization header value, or "-"
-- for none; BODY_FILE holds a JSON body sent with Content-Type: application/json. With VARY, each
-- request adds &VARY=<n> to the query, n counting from a base of its thread's own: no two alike.
-- A thread stops after MAX_PER_THREAD responses (0: no cap), so a run ends at the duration
-- or the cap, whichever comes first. Throughput is computed from the first request to the
-- last response, measured here with CLOCK_MONOTONIC, so an early stop is not diluted.

local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("bench_timespec")

local function now()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("base", #threads * 1000000)  -- each thread numbers its requests from its own base
end

-- Per-thread globals, read back by done() through thread:get().
count, cap, t_start, t_last, non2xx = 0, 0, 0, 0, 0
local prepared
local vary, sent, method_used, headers_used, body_used

function init(args)
  local method, max, auth, body_file = args[1], args[2], args[3], args[4]
  if args[5] and args[5] ~= "" then
    vary, sent = args[5], base
  end
  cap = tonumber(max) or 0
  local headers = {}
  if auth and auth ~= "-" then
    headers["Authorization"] = auth
  end
  local body = nil
  if body_file and body_file ~= "" then
    local handle = assert(io.open(body_file, "rb"))
    body = handle:read("*a")
    handle:close()
    headers["Content-Type"] = "application/json"
  end
  prepared = wrk.format(method or "GET", nil, headers, body)
  method_used, headers_used, body_used = method or "GET", headers, body
  t_start = now()
end

function request()
  if vary then
    sent = sent + 1
    return wrk.format(method_used, wrk.path .. "&" .. vary .. "=" .. sent, headers_used, body_used)
  end
  return prepared
end

function response(status, headers, body)
  count = count + 1
  t_last = now()
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
  if cap > 0 and count >= cap then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local first, last, bad = math.huge, 0, 0
  for _, thread in ipairs(threads) do
    first = math.min(first, thread:get("t_start"))
    last = math.max(last, thread:get("t_last"))
    bad = bad + thread:get("non2xx")
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH-JSON {"requests":%d,"active_s":%.6f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"non2xx":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d}\n',
    summary.requests, math.max(last - first, 0), latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, bad, errors.connect, errors.read, errors.write, errors.timeout))
end
