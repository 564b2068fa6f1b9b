-- POST a JSON login for a random customer: BENCH_EMAIL_PATTERN has one %d, 1 to BENCH_MAX_ID.
dofile(os.getenv("BENCH_LUA_DIR") .. "/fixed.lua")

local pattern = os.getenv("BENCH_EMAIL_PATTERN")
local password = os.getenv("BENCH_PASSWORD")
local max_id = tonumber(os.getenv("BENCH_MAX_ID"))

init = function(args)
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
end

request = function()
  local email = string.format(pattern, math.random(1, max_id))
  local body = string.format('{"email": "%s", "password": "%s"}', email, password)
  return wrk.format("POST", nil, nil, body)
end
