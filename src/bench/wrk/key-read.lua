-- One option of a scope, skewed popularity.
dofile(os.getenv("BENCH_DIR") .. "/wrk/report.lua")
local scopes = tonumber(os.getenv("SCOPES") or "10000")
request = function()
  local id = math.floor(scopes * math.random() ^ 3) + 1
  return wrk.format("GET", "/v1/projects/" .. id .. "/options/k1")
end
