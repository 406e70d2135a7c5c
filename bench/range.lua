-- wrk script: random 1 MiB ranges inside a 64 MiB file.
local size = 64 * 1024 * 1024
local chunk = 1024 * 1024
math.randomseed(7)
request = function()
  local start = math.random(0, size - chunk - 1)
  wrk.headers["Range"] = "bytes=" .. start .. "-" .. (start + chunk - 1)
  return wrk.format(nil, nil)
end
