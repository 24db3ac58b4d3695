-- Every connection writes its own keys of one and the same scope, values no earlier request wrote.
dofile(os.getenv("BENCH_DIR") .. "/wrk/report.lua")
dofile(os.getenv("BENCH_DIR") .. "/wrk/scope.lua")
local counter = 0
request = function()
  counter = counter + 1
  local key = string.format("c%d-%d", thread_index, counter % 100)
  return wrk.format("PUT", scope_path(id_base + 1) .. "/" .. key, { ["Content-Type"] = "application/json" },
    string.format('"%s-%d"', stamp, counter))
end
