-- wrk script: POST /api/sessions with a fresh client id per request (README, "Data path figures": new sessions on one node).
-- wrk -t1 -c32 -d40s -s bench/ClusterPortal.ClusterBench/wire/announce.lua http://127.0.0.1:5231
counter = 0
math.randomseed(os.time())
prefix = "w" .. math.random(1, 1000000000) .. "-"
request = function()
  counter = counter + 1
  return wrk.format("POST", "/api/sessions", {["Content-Type"] = "application/json"}, '{"clientId":"' .. prefix .. counter .. '"}')
end
