-- Values in force of a user in a project (five layers: default, organization, project, user, the
-- scope), skewed popularity: user n in project n, whose project belongs to an organization.
dofile(os.getenv("BENCH_DIR") .. "/wrk/report.lua")
dofile(os.getenv("BENCH_DIR") .. "/wrk/scope.lua")
request = function()
  local id = skewed()
  return wrk.format("GET", "/v1/users/" .. id .. "/projects/" .. id .. "/options?inherit=true")
end
