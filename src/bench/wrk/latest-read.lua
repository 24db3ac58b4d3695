-- Whole-scope reads of the primary (Cache-Control: no-cache), uniform.
dofile(os.getenv("BENCH_DIR") .. "/wrk/report.lua")
dofile(os.getenv("BENCH_DIR") .. "/wrk/scope.lua")
request = function()
  return wrk.format("GET", scope_path(uniform()), { ["Cache-Control"] = "no-cache" })
end
