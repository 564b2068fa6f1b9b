-- POST a refund request of BENCH_BODY for a random payment (ids BENCH_MIN_ID to BENCH_MAX_ID):
-- BENCH_PATH is "/api/v1/payments/", the id and "/refunds" follow.
dofile(os.getenv("BENCH_LUA_DIR") .. "/fixed.lua")

local prefix = os.getenv("BENCH_PATH")
local min_id = tonumber(os.getenv("BENCH_MIN_ID"))
local max_id = tonumber(os.getenv("BENCH_MAX_ID"))

init = function(args)
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
end

request = function()
  return wrk.format("POST", prefix .. math.random(min_id, max_id) .. "/refunds")
end
