-- Whole-scope reads with skewed popularity: low ids are asked for far more often.
dofile(os.getenv("BENCH_DIR") .. "/wrk/report.lua")
local scopes = tonumber(os.getenv("SCOPES") or "10000")
request = function()
  local id = math.floor(scopes * math.random() ^ 3) + 1
  return wrk.format("GET", "/v1/projects/" .. id .. "/options")
end
