-- Reads the values in force of every user n in project n once, in order (as prewarm.lua does for
-- whole scopes), so that the inherited hot read starts from warm caches: of n threads
-- (PREWARM_THREADS, 2 unless set), thread t reads ids t+1, t+1+n, t+1+2n...
dofile(os.getenv("BENCH_DIR") .. "/wrk/scope.lua")
local step = tonumber(os.getenv("PREWARM_THREADS") or "2")
local threads = 0
setup = function(thread)
  thread:set("next_id", threads)
  threads = threads + 1
end
request = function()
  local id = id_base + (next_id % scopes) + 1
  next_id = next_id + step
  return wrk.format("GET", "/v1/users/" .. id .. "/projects/" .. id .. "/options?inherit=true")
end
