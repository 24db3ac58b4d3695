-- Reads every scope once, in order, so that measurements start from warm caches.
local scopes = tonumber(os.getenv("SCOPES") or "10000")
local next_id = 0
local step = 2
setup = function(thread)
  thread:set("next_id", next_id)
  next_id = next_id + 1
end
request = function()
  next_id = next_id + step
  local id = (next_id % scopes) + 1
  return wrk.format("GET", "/v1/projects/" .. id .. "/options")
end
