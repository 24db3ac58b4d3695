-- Every connection writes its own keys of one and the same scope.
dofile(os.getenv("BENCH_DIR") .. "/wrk/report.lua")
local counter = 0
local thread_id = 0
setup = function(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end
request = function()
  counter = counter + 1
  local key = string.format("c%d-%d", thread_id or 0, counter % 100)
  return wrk.format("PUT", "/v1/projects/1/options/" .. key, { ["Content-Type"] = "application/json" }, tostring(counter))
end
