-- wrk script for scripts/bench: POSTs JSON bodies, one per line of the bodies file, cycled per request.
-- Thread i of n sends bodies i, i+n, i+2n, ... so that no two threads send the same write.
--   wrk -t T -c C -d D -s post.lua http://127.0.0.1:PORT/path -- BODIES_FILE TOKEN
-- Prints one line, "BENCH-JSON {...}", with requests, errors and latency percentiles (microseconds).
local threads = {}
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local bodies = {}
  for line in io.lines(args[1]) do
    if #line > 0 then table.insert(bodies, line) end
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Auth-Token"] = args[2]
  all_bodies = bodies
  position = index
  step = tonumber(args[3]) or 1
  graphql_errors = 0
  sent = 0
end

function request()
  local body = all_bodies[(position % #all_bodies) + 1]
  position = position + step
  sent = sent + 1
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status == 200 and body and string.find(body, '"errors":[{', 1, true) then
    graphql_errors = graphql_errors + 1
  end
end

function done(summary, latency, requests)
  local graphql = 0
  for _, thread in ipairs(threads) do
    graphql = graphql + (thread:get("graphql_errors") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH-JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"timeouts":%d,"non_2xx":%d,"graphql_errors":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.timeout, e.status, graphql,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
