-- Ten options changed atomically on a random scope, to values no earlier request wrote.
dofile(os.getenv("BENCH_DIR") .. "/wrk/report.lua")
dofile(os.getenv("BENCH_DIR") .. "/wrk/scope.lua")
local counter = 0
request = function()
  counter = counter + 1
  local members = {}
  for k = 0, 9 do members[#members + 1] = string.format('"k%d": "%s-%d"', k, stamp, counter) end
  return wrk.format("PATCH", scope_path(uniform()),
    { ["Content-Type"] = "application/merge-patch+json" }, "{" .. table.concat(members, ", ") .. "}")
end
