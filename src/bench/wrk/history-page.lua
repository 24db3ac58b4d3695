-- One page of 100 entries of a scope's history of 100,000 versions (HISTORY_SCOPE), at a random place.
dofile(os.getenv("BENCH_DIR") .. "/wrk/report.lua")
local project = os.getenv("HISTORY_SCOPE") or "999999999"
request = function()
  return wrk.format("GET", "/v1/projects/" .. project .. "/history?limit=100&before=" .. math.random(101, 100000))
end
