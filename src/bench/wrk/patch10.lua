-- Ten options changed atomically on a random scope, to values no earlier request wrote.
dofile(os.getenv("BENCH_DIR") .. "/wrk/report.lua")
local scopes = tonumber(os.getenv("SCOPES") or "10000")
local counter = 0
request = function()
  counter = counter + 1
  local members = {}
  for k = 0, 9 do members[#members + 1] = string.format('"k%d": "%s-%d"', k, stamp, counter) end
  local id = math.random(scopes)
  return wrk.format("PATCH", "/v1/projects/" .. id .. "/options",
    { ["Content-Type"] = "application/merge-patch+json" }, "{" .. table.concat(members, ", ") .. "}")
end
