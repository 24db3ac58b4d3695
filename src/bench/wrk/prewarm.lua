-- Reads every scope once, in order, so that measurements start from warm caches.
dofile(os.getenv("BENCH_DIR") .. "/wrk/scope.lua")
local next_id = 0
setup = function(thread)
  thread:set("next_id", next_id)
  next_id = next_id + 1
end
request = function()
  next_id = next_id + 2
  return wrk.format("GET", scope_path(id_base + (next_id % scopes) + 1))
end
