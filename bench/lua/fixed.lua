-- One fixed request: method, body and headers from the environment.
-- BENCH_HEADERS holds "Name: value" lines.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
  wrk.body = body
end
for line in (os.getenv("BENCH_HEADERS") or ""):gmatch("[^\n]+") do
  local name, value = line:match("^([^:]+):%s*(.*)$")
  if name then
    wrk.headers[name] = value
  end
end
