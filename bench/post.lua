-- wrk script: POST the JSON body in the file named by the BODY_FILE environment variable.
--   BODY_FILE=row.json wrk -s bench/post.lua -c 8 -d 5s http://127.0.0.1:8080/predict
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
  io.write(string.format("MLBP p50_us=%d p99_us=%d requests=%d errors=%d non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    latency:percentile(50), latency:percentile(99), summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout))
end
