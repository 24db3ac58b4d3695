-- One key across 1,000 consecutive scopes.
dofile(os.getenv("BENCH_DIR") .. "/wrk/report.lua")
dofile(os.getenv("BENCH_DIR") .. "/wrk/scope.lua")
request = function()
  local first = id_base + math.random(math.max(1, scopes - 1000))
  local ids = {}
  for i = 0, 999 do ids[#ids + 1] = tostring(first + i) end
  return wrk.format("GET", "/v1/" .. kind .. "/options/k1?ids=" .. table.concat(ids, ","))
end
