-- POST an order of two distinct random products (ids BENCH_MIN_ID, default 1, to BENCH_MAX_ID),
-- one of each. BENCH_TOKENS (optional, space-separated bearer tokens): each request is sent as
-- one of these customers, picked at random; without it, as BENCH_HEADERS says.
dofile(os.getenv("BENCH_LUA_DIR") .. "/fixed.lua")

local min_id = tonumber(os.getenv("BENCH_MIN_ID") or "1")
local max_id = tonumber(os.getenv("BENCH_MAX_ID"))
local tokens = {}
for token in (os.getenv("BENCH_TOKENS") or ""):gmatch("%S+") do
  table.insert(tokens, token)
end

init = function(args)
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
end

request = function()
  local a = math.random(min_id, max_id)
  local b = math.random(min_id, max_id - 1)
  if b >= a then
    b = b + 1
  end
  local body = string.format(
    '{"items": [{"product_id": %d, "quantity": 1}, {"product_id": %d, "quantity": 1}]}', a, b)
  local headers = nil
  if #tokens > 0 then
    headers = {}
    for name, value in pairs(wrk.headers) do
      headers[name] = value
    end
    headers["Authorization"] = "Bearer " .. tokens[math.random(1, #tokens)]
  end
  return wrk.format("POST", nil, headers, body)
end
