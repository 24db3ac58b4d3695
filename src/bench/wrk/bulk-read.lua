-- One key across 1,000 projects.
dofile(os.getenv("BENCH_DIR") .. "/wrk/report.lua")
local scopes = tonumber(os.getenv("SCOPES") or "10000")
request = function()
  local first = math.random(math.max(1, scopes - 1000))
  local ids = {}
  for i = 0, 999 do ids[#ids + 1] = tostring(first + i) end
  return wrk.format("GET", "/v1/projects/options/k1?ids=" .. table.concat(ids, ","))
end
