-- wrk script: every request names one of N tenants in its Host header, in turn (N from the environment).
local count = tonumber(os.getenv("TENANTS") or "100")
local prefix = os.getenv("TENANT_PREFIX") or "req"
local domain = os.getenv("BASE_DOMAIN") or "localhost"
local i = 0
request = function()
  i = i % count + 1
  return wrk.format("GET", "/entries", { ["Host"] = prefix .. i .. "." .. domain })
end
