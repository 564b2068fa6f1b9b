-- POST BENCH_BODY to BENCH_PATH .. id .. BENCH_PATH_SUFFIX for the ids BENCH_MIN_ID to
-- BENCH_MAX_ID, each once: wrk thread t of n takes min + t, min + t + n, …, so no two requests
-- name the same id; a thread that runs out starts its share again (and those repeats show as
-- errors, so prepare enough ids).
dofile(os.getenv("BENCH_LUA_DIR") .. "/fixed.lua")

local counter = 0

setup = function(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

init = function(args)
  n = tonumber(os.getenv("BENCH_THREADS"))
  prefix = os.getenv("BENCH_PATH")
  suffix = os.getenv("BENCH_PATH_SUFFIX") or ""
  min_id = tonumber(os.getenv("BENCH_MIN_ID"))
  max_id = tonumber(os.getenv("BENCH_MAX_ID"))
  next_id = min_id + tid
end

request = function()
  if next_id > max_id then
    next_id = min_id + tid
  end
  local id = next_id
  next_id = next_id + n
  return wrk.format(nil, prefix .. id .. suffix)
end
