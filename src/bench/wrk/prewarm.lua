-- Reads every scope once, in order, so that measurements start from warm caches: of n threads
-- (PREWARM_THREADS, 2 unless set; as many as wrk's -t), thread t reads ids t+1, t+1+n, t+1+2n...
-- With PREWARM_INHERITED=1, the values in force of user n in project n instead (every layer of it).
dofile(os.getenv("BENCH_DIR") .. "/wrk/scope.lua")
local step = tonumber(os.getenv("PREWARM_THREADS") or "2")
local threads = 0
local inherited = os.getenv("PREWARM_INHERITED") == "1"
setup = function(thread)
  -- a global of the thread's own Lua state, which its request() reads and advances
  thread:set("next_id", threads)
  threads = threads + 1
end
request = function()
  local id = next_id
  next_id = next_id + step
  local n = id_base + (id % scopes) + 1
  if inherited then
    return wrk.format("GET", "/v1/users/" .. n .. "/projects/" .. n .. "/options?inherit=true")
  end
  return wrk.format("GET", scope_path(n))
end
