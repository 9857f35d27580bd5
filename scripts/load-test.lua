-- wrk script for scripts/load-test.sh: POST a 28x28 PNG as multipart field "file" to /predict and count
-- every response that is not 200 (wrk itself only counts socket errors and non-2xx/3xx).
local f = assert(io.open(os.getenv("LOAD_PNG"), "rb"))
local png = f:read("*a")
f:close()
local boundary = "----mnistload7f3a"
wrk.method = "POST"
wrk.path = "/predict"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.body = "--" .. boundary .. "\r\n"
  .. 'Content-Disposition: form-data; name="file"; filename="digit.png"\r\n'
  .. "Content-Type: image/png\r\n\r\n"
  .. png .. "\r\n--" .. boundary .. "--\r\n"

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  not_ok = 0
end
function response(status, headers, body)
  if status ~= 200 then not_ok = not_ok + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("not_ok") end
  io.write(string.format("non_200 %d\n", bad))
end
