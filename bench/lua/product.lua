-- GET one product, a random id from 1 to BENCH_MAX_ID each time.
dofile(os.getenv("BENCH_LUA_DIR") .. "/fixed.lua")

local prefix = os.getenv("BENCH_PATH")
local max_id = tonumber(os.getenv("BENCH_MAX_ID"))

init = function(args)
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
end

request = function()
  return wrk.format(nil, prefix .. math.random(1, max_id))
end
