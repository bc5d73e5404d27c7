-- wrk script: POST /api/v1/incidents with bodies read from a file, for bench/load.py (run_creates_wrk).
--
--   BENCH_PAYLOADS=bodies.jsonl BENCH_TOKEN=... wrk -t2 -c32 -d25s --latency --timeout 60s \
--       -s bench/create_wrk.lua http://127.0.0.1:8000
--
-- BENCH_PAYLOADS: a file with one JSON request body per line; BENCH_TOKEN: an API token (Bearer).
-- Each wrk thread posts the bodies round-robin, starting at its own offset (0, 1/2, 1/4, 3/4 … of the
-- file), counts the responses by status and keeps the first non-201 bodies. done() prints one line,
-- WRK_RESULT {json}, with the counts of all threads, wrk's socket errors and its latency figures.
--
-- wrk runs this file in one Lua state per thread (init, request, response) and in one more for setup
-- and done; setup keeps the thread handles so that done can read each thread's globals (thread:get).
-- Latencies are wrk's own histogram, over all responses (any status), after wrk's correction for
-- coordinated omission (stats_correct: a response slower than twice the mean cycle of a connection
-- adds synthetic samples), so the tail percentiles can read a little higher than a client that only
-- records what it saw.

local FAILURES_KEPT = 5

-- Setup and done (their own Lua state) ------------------------------------------------------------

local threads = {}

function setup(thread)
   thread:set("thread_id", #threads)
   table.insert(threads, thread)
end

-- Threads ---------------------------------------------------------------------------------------

statuses = {}   -- status code -> responses; globals, read by done() through thread:get
failures = {}   -- "status body" of the first non-201 responses

local bodies = {}
local headers = {}
local index = 0

local function fail(message)
   io.stderr:write("create_wrk.lua: " .. message .. "\n")
   os.exit(2)
end

-- 0, 1/2, 1/4, 3/4, 1/8 …: distinct, evenly spread starting points for any number of threads.
local function spread(n)
   local share, scale = 0, 1
   while n > 0 do
      scale = scale / 2
      share = share + (n % 2) * scale
      n = math.floor(n / 2)
   end
   return share
end

function init(args)
   local path, token = os.getenv("BENCH_PAYLOADS"), os.getenv("BENCH_TOKEN")
   if not path or path == "" then fail("set BENCH_PAYLOADS to a file of request bodies, one JSON object a line") end
   if not token or token == "" then fail("set BENCH_TOKEN to an API token") end
   local file = io.open(path, "r")
   if not file then fail("cannot read " .. path) end
   for line in file:lines() do
      if line ~= "" then bodies[#bodies + 1] = line end
   end
   file:close()
   if #bodies == 0 then fail("no request bodies in " .. path) end
   headers = {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
      ["Accept-Language"] = "en",
   }
   index = math.floor(spread(thread_id or 0) * #bodies)
end

function request()
   index = index % #bodies + 1
   return wrk.format("POST", "/api/v1/incidents", headers, bodies[index])
end

function response(status, _, body)
   statuses[status] = (statuses[status] or 0) + 1
   if status ~= 201 and #failures < FAILURES_KEPT then
      failures[#failures + 1] = status .. " " .. string.sub(body or "", 1, 300)
   end
end

-- Done: one machine-readable line -------------------------------------------------------------------

local function quote(text)
   local escaped = string.gsub(text, '[%c"\\]', function(c)
      if c == '"' then return '\\"' end
      if c == "\\" then return "\\\\" end
      return string.format("\\u%04x", string.byte(c))
   end)
   return '"' .. escaped .. '"'
end

local function ms(microseconds)
   return string.format("%.1f", microseconds / 1000)
end

function done(summary, latency, _)
   local total, kept = {}, {}
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("statuses") or {}) do
         local key = tostring(math.floor(status))
         total[key] = (total[key] or 0) + count
      end
      for _, failure in ipairs(thread:get("failures") or {}) do
         if #kept < FAILURES_KEPT then kept[#kept + 1] = failure end
      end
   end
   local counts, quoted = {}, {}
   for key, count in pairs(total) do
      counts[#counts + 1] = quote(key) .. ":" .. string.format("%d", count)
   end
   table.sort(counts)
   for _, failure in ipairs(kept) do quoted[#quoted + 1] = quote(failure) end
   local errors = summary.errors
   local fields = {
      '"requests":' .. string.format("%d", summary.requests),
      '"status":{' .. table.concat(counts, ",") .. "}",
      string.format('"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d}',
                    errors.connect, errors.read, errors.write, errors.timeout),
      '"p50_ms":' .. ms(latency:percentile(50)),
      '"p95_ms":' .. ms(latency:percentile(95)),
      '"p99_ms":' .. ms(latency:percentile(99)),
      '"max_ms":' .. ms(latency.max),
      '"mean_ms":' .. ms(latency.mean),
      string.format('"duration_s":%.3f', summary.duration / 1e6),
      '"threads":' .. #threads,
      '"failures":[' .. table.concat(quoted, ",") .. "]",
   }
   io.write("WRK_RESULT {" .. table.concat(fields, ",") .. "}\n")
end
