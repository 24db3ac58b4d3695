-- Whole-scope reads of the primary (Cache-Control: no-cache), uniform.
dofile(os.getenv("BENCH_DIR") .. "/wrk/report.lua")
local scopes = tonumber(os.getenv("SCOPES") or "10000")
request = function()
  local id = math.random(scopes)
  return wrk.format("GET", "/v1/projects/" .. id .. "/options", { ["Cache-Control"] = "no-cache" })
end
