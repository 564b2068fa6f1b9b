-- POST an order of two distinct random products (ids 1 to BENCH_MAX_ID), one of each.
dofile(os.getenv("BENCH_LUA_DIR") .. "/fixed.lua")

local max_id = tonumber(os.getenv("BENCH_MAX_ID"))

init = function(args)
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
end

request = function()
  local a = math.random(1, max_id)
  local b = math.random(1, max_id - 1)
  if b >= a then
    b = b + 1
  end
  local body = string.format(
    '{"items": [{"product_id": %d, "quantity": 1}, {"product_id": %d, "quantity": 1}]}', a, b)
  return wrk.format("POST", nil, nil, body)
end
