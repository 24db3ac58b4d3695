-- Shared by every scenario. Each wrk thread gets its own random seed and id (wrk seeds every thread
-- alike, so without this every run, warm-up included, would send the same scopes and values, and a
-- write would find its value already stored); `stamp` makes written values unique to the run. When
-- wrk is done, one JSON line of results is printed.
local next_thread = 0
setup = function(thread)
  thread:set("thread_index", next_thread)
  next_thread = next_thread + 1
end
init = function(args)
  thread_index = thread_index or 0
  local clock = math.floor(os.clock() * 1e6)
  math.randomseed(os.time() * 7919 + thread_index * 104729 + clock)
  stamp = string.format("%d-%d", os.time(), thread_index)
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_ms": %.3f, "p99_ms": %.3f, "p999_ms": %.3f, "errors": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, errors))
end
