-- One option set on a random scope, to a value no earlier request wrote.
dofile(os.getenv("BENCH_DIR") .. "/wrk/report.lua")
dofile(os.getenv("BENCH_DIR") .. "/wrk/scope.lua")
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("PUT", scope_path(uniform()) .. "/k1", { ["Content-Type"] = "application/json" },
    string.format('"%s-%d"', stamp, counter))
end
