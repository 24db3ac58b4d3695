-- Which scopes a scenario addresses, from the environment: KIND (projects, organizations), SCOPES
-- (how many) and ID_BASE (the first id is ID_BASE + 1). skewed() picks popular scopes far more often
-- (id = SCOPES * u^3: a tenth of the ids take about half the requests); uniform() any alike.
kind = os.getenv("KIND") or "projects"
scopes = tonumber(os.getenv("SCOPES") or "10000")
id_base = tonumber(os.getenv("ID_BASE") or "0")
function skewed() return id_base + math.floor(scopes * math.random() ^ 3) + 1 end
function uniform() return id_base + math.random(scopes) end
function scope_path(id) return "/v1/" .. kind .. "/" .. id .. "/options" end
-- RATE (requests/s over all connections, CONNECTIONS of them) paces each connection; unset, wrk
-- sends as fast as answers come back
local rate = tonumber(os.getenv("RATE") or "0")
local connections = tonumber(os.getenv("CONNECTIONS") or "64")
if rate > 0 then
  local pause = 1000 * connections / rate
  delay = function() return pause end
end
