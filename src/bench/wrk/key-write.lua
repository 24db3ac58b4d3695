-- One option set on a random scope, to a value no earlier request wrote.
dofile(os.getenv("BENCH_DIR") .. "/wrk/report.lua")
local scopes = tonumber(os.getenv("SCOPES") or "10000")
local counter = 0
request = function()
  counter = counter + 1
  local id = math.random(scopes)
  return wrk.format("PUT", "/v1/projects/" .. id .. "/options/k1", { ["Content-Type"] = "application/json" },
    string.format('"%s-%d"', stamp, counter))
end
