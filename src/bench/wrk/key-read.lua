-- One option of a scope, skewed popularity.
dofile(os.getenv("BENCH_DIR") .. "/wrk/report.lua")
dofile(os.getenv("BENCH_DIR") .. "/wrk/scope.lua")
request = function()
  return wrk.format("GET", scope_path(skewed()) .. "/k1")
end
