-- POST prepared requests, each once: BENCH_REQUESTS_FILE holds "header-value<TAB>body" lines;
-- BENCH_REPLAY_HEADER names the header. Each wrk thread takes every n-th line, so no two
-- threads send the same one; a thread that runs out starts its share again.
dofile(os.getenv("BENCH_LUA_DIR") .. "/fixed.lua")

local counter = 0

setup = function(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

init = function(args)
  local n = tonumber(os.getenv("BENCH_THREADS"))
  local header = os.getenv("BENCH_REPLAY_HEADER")
  requests = {}
  local i = 0
  for line in io.lines(os.getenv("BENCH_REQUESTS_FILE")) do
    if i % n == tid then
      local value, body = line:match("^([^\t]*)\t(.*)$")
      local headers = {}
      for name, v in pairs(wrk.headers) do
        headers[name] = v
      end
      headers[header] = value
      table.insert(requests, wrk.format("POST", nil, headers, body))
    end
    i = i + 1
  end
  position = 0
end

request = function()
  position = position % #requests + 1
  return requests[position]
end
