-- Whole-scope reads, skewed popularity.
dofile(os.getenv("BENCH_DIR") .. "/wrk/report.lua")
dofile(os.getenv("BENCH_DIR") .. "/wrk/scope.lua")
request = function()
  return wrk.format("GET", scope_path(skewed()))
end
