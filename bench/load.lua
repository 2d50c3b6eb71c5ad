-- wrk script of the load benchmark (bench/wrk.py writes the plan and reads the answers).
--
--   AFTERCARE_WRK_PLAN=plan.lua wrk -s bench/load.lua ...
--
-- The plan (a Lua file returning a table) says what to send: method, path, the users'
-- session tokens (request after request cycles through them, so as many distinct
-- patients or clinicians post as there are tokens), the JSON bodies to pick from, the
-- status every answer should have, and whether to keep the id of each created row.
--
-- Each thread writes its answers to <out>/thread-<n>.txt: the id of every created
-- row with the second its answer arrived, and "! <status> <start of the body>" for every unexpected answer. done() writes
-- <out>/summary.txt: wrk's own counts, the requests sent and answered, and the whole
-- latency distribution ("latency <microseconds> <count>" per distinct value).

local plan = dofile(os.getenv("AFTERCARE_WRK_PLAN"))
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("number", #threads)
end

function init(args)
  turn = number - 1
  sent, answered = 0, 0
  math.randomseed(plan.seed + number)
  out = assert(io.open(plan.out .. "/thread-" .. number .. ".txt", "w"))
  out:setvbuf("line")
end

function request()
  local user = plan.users[turn % #plan.users + 1]
  turn = turn + plan.threads -- each thread takes every plan.threads-th user
  local headers = { ["Accept"] = "application/json", ["X-Forwarded-Proto"] = "https" }
  if plan.cookie then
    headers["Cookie"] = "sessionid=" .. user
  else
    headers["X-Session-Token"] = user
  end
  local body = nil
  if plan.bodies then
    body = plan.bodies[math.random(#plan.bodies)]
    headers["Content-Type"] = "application/json"
  end
  sent = sent + 1
  return wrk.format(plan.method, plan.path, headers, body)
end

function response(status, headers, body)
  answered = answered + 1
  if status ~= plan.expect then
    out:write("! ", status, " ", (body:sub(1, 160):gsub("%s+", " ")), "\n")
  elseif plan.record_ids then
    -- The id, and the second (wall clock) its answer arrived (bench/faults/backup_under_load.py).
    out:write(body:match('"id"%s*:%s*(%d+)') or "?", " ", os.time(), "\n")
  end
end

function done(summary, latency, requests)
  local f = assert(io.open(plan.out .. "/summary.txt", "w"))
  local e = summary.errors
  f:write("duration_us ", summary.duration, "\n")
  f:write("requests ", summary.requests, "\n")
  f:write("errors ", e.connect, " ", e.read, " ", e.write, " ", e.status, " ", e.timeout, "\n")
  local total_sent, total_answered = 0, 0
  for _, thread in ipairs(threads) do
    total_sent = total_sent + thread:get("sent")
    total_answered = total_answered + thread:get("answered")
  end
  f:write("sent ", total_sent, "\n")
  f:write("answered ", total_answered, "\n")
  for i = 1, #latency do
    local value, count = latency(i)
    f:write("latency ", value, " ", count, "\n")
  end
  f:close()
end
