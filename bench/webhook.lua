-- wrk script: POST pre-signed `api`-channel webhooks, a different message each request.
local bodies, signatures = {}, {}
local counter = 0

function init(args)
  local path = os.getenv("BENCH_BODIES")
  for line in io.lines(path) do
    local tab = line:find("\t")
    signatures[#signatures + 1] = line:sub(1, tab - 1)
    bodies[#bodies + 1] = line:sub(tab + 1)
  end
  counter = math.random(#bodies)
end

function request()
  counter = counter % #bodies + 1
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Signature-256"] = signatures[counter]
  return wrk.format("POST", nil, nil, bodies[counter])
end
