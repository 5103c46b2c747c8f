// Lua scripts for the job store. Each opens with a header listing its KEYS, ARGV and output, the way
// BullMQ's own scripts do. They are small on purpose: the document merge happens in TypeScript
// (src/store/merge.ts); the scripts only make "check, then write" atomic.

/**
 * create: a new job's document, its first event, its place in every listing, its fair-share tag,
 * atomically, unless the id is taken or the tenant is at its active-jobs quota.
 *
 * Fair share (docs/operations.md): each tenant's jobs get increasing tags, starting at the
 * virtual time `v` (the tag of the last job a worker started) if the tenant is behind it. The
 * queue orders by tag, so a tenant with one job waits behind at most one job of a tenant with a
 * hundred. When nothing is queued the tags start over.
 */
export const CREATE = `--[[
  create

  KEYS[1]  job hash                 {p}:job:{id}          fields doc, spec, rev, attempt, status, tenant, tag
  KEYS[2]  event stream             {p}:job:{id}:events
  KEYS[3]  all jobs                 {p}:jobs              zset, score createdAt ms
  KEYS[4]  status set               {p}:jobs:status:{status}
  KEYS[5]  tenant's jobs            {p}:tenant:{t}:jobs
  KEYS[6]  tenant's status set      {p}:tenant:{t}:jobs:status:{status}
  KEYS[7..9] tenant's queued, running, cancelling sets (its active jobs)
  KEYS[10] global queued set        {p}:jobs:status:queued
  KEYS[11] fair-share hash          {p}:fair-share        fields v, t:{tenant}
  KEYS[12] tenants                  {p}:tenants           set
  KEYS[13] tenant's event stream    {p}:tenant:{t}:events fields job, eid, type, data
  KEYS[14] the dataset it needs     {p}:dataset:{ds}      hash (unused when ARGV[11] is "")
  KEYS[15] that dataset's jobs      {p}:dataset:{ds}:jobs set

  ARGV[1]  document JSON
  ARGV[2]  spec JSON
  ARGV[3]  status
  ARGV[4]  createdAt ms
  ARGV[5]  job id
  ARGV[6]  tenant
  ARGV[7]  event type               "": no event
  ARGV[8]  event data JSON
  ARGV[9]  max active jobs          "-1": no limit
  ARGV[10] tenant stream length     about this many entries are kept (XADD MAXLEN ~)
  ARGV[11] stored dataset id        "": none (builtin); else it must exist, and the job holds it until it ends

  Output: {"ok", eventId, tag} | {"exists"} | {"quota", activeJobs} | {"no-dataset"}
]]
if redis.call('EXISTS', KEYS[1]) == 1 then return {'exists'} end
local active = redis.call('ZCARD', KEYS[7]) + redis.call('ZCARD', KEYS[8]) + redis.call('ZCARD', KEYS[9])
local max = tonumber(ARGV[9])
if max >= 0 and active >= max then return {'quota', active} end
if ARGV[11] ~= '' then
  if redis.call('EXISTS', KEYS[14]) == 0 then return {'no-dataset'} end
  redis.call('SADD', KEYS[15], ARGV[5])
  redis.call('HSET', KEYS[1], 'dataset', ARGV[11])
end
if redis.call('ZCARD', KEYS[10]) == 0 then redis.call('DEL', KEYS[11]) end
local v = tonumber(redis.call('HGET', KEYS[11], 'v') or '0')
local last = tonumber(redis.call('HGET', KEYS[11], 't:' .. ARGV[6]) or '0')
local tag = math.max(v, last) + 1
redis.call('HSET', KEYS[11], 't:' .. ARGV[6], tag)
redis.call('HSET', KEYS[1], 'doc', ARGV[1], 'spec', ARGV[2], 'rev', 1, 'attempt', 0, 'status', ARGV[3], 'tenant', ARGV[6], 'tag', tag)
for _, k in ipairs({KEYS[3], KEYS[4], KEYS[5], KEYS[6]}) do redis.call('ZADD', k, ARGV[4], ARGV[5]) end
redis.call('SADD', KEYS[12], ARGV[6])
local eventId = ''
if ARGV[7] ~= '' then
  eventId = redis.call('XADD', KEYS[2], '*', 'type', ARGV[7], 'data', ARGV[8])
  redis.call('XADD', KEYS[13], 'MAXLEN', '~', ARGV[10], '*', 'job', ARGV[5], 'eid', eventId, 'type', ARGV[7], 'data', ARGV[8])
end
return {'ok', eventId, tag}
`;

/**
 * commit: replace a job document and append one event to its log, atomically, if the document is
 * still at the revision the caller read and (when fenced) the caller's attempt is the current one.
 * A job that starts running advances the fair-share virtual time to its tag, unless its tenant is
 * at its running-jobs quota (then nothing is written).
 */
export const COMMIT = `--[[
  commit

  KEYS[1]  job hash                 {p}:job:{id}          fields doc, spec, rev, attempt, status, tenant, tag
  KEYS[2]  event stream             {p}:job:{id}:events
  KEYS[3]  old status set           {p}:jobs:status:{old} (may equal KEYS[4])
  KEYS[4]  new status set           {p}:jobs:status:{new}
  KEYS[5]  tenant's old status set  {p}:tenant:{t}:jobs:status:{old}
  KEYS[6]  tenant's new status set  {p}:tenant:{t}:jobs:status:{new}
  KEYS[7]  tenant's running set     {p}:tenant:{t}:jobs:status:running
  KEYS[8]  fair-share hash          {p}:fair-share
  KEYS[9]  tenant's usage           {p}:tenant:{t}:usage  field bytes
  KEYS[10] tenant's event stream    {p}:tenant:{t}:events fields job, eid, type, data
  KEYS[11] the job's progress ids   {p}:job:{id}:progress-ids  list
  KEYS[12] webhook outbox           {p}:webhook-outbox    hash: job id -> terminal event id
  KEYS[13] its dataset's jobs       {p}:dataset:{ds}:jobs set (unused when ARGV[15] is "")
  KEYS[14] datasets by last use     {p}:datasets:used     zset, score ms
  KEYS[15] finished jobs' expiry    {p}:jobs:expiry       zset, score = expiry ms
  KEYS[16] what the sweep needs     {p}:jobs:expiry:info  hash: id -> "tenant status weightBytes"
  KEYS[17] the job's weights        {p}:job:{id}:weights
  KEYS[18..] extra string keys, one per ARGV[18..] (value "" deletes the key)

  ARGV[1]  expected rev
  ARGV[2]  fence attempt            "0": not fenced; else the stored attempt must equal it
  ARGV[3]  document JSON
  ARGV[4]  new status
  ARGV[5]  new attempt
  ARGV[6]  createdAt ms (score)
  ARGV[7]  job id (member)
  ARGV[8]  event type               "": no event
  ARGV[9]  event data JSON
  ARGV[10] max running jobs         "-1": no limit (checked only when the job starts running)
  ARGV[11] bytes added to the tenant's stored usage (the weights written with this change)
  ARGV[12] progress events kept     the oldest progress event past this many is deleted from the log
  ARGV[13] tenant stream length     about this many entries are kept (XADD MAXLEN ~)
  ARGV[14] now ms
  ARGV[15] dataset id               the stored dataset the job needs ("": none); a finished job lets it go
  ARGV[16] retention seconds        a finished job's hash, events and weights expire after this ("0": kept)
  ARGV[17] tenant
  ARGV[18..] values for KEYS[18..]

  Output: {"ok", rev, eventId} | {"conflict"} (changed since read: re-read, retry) | {"fenced"} | {"quota", runningJobs}
]]
local rev = tonumber(redis.call('HGET', KEYS[1], 'rev') or '0')
if rev ~= tonumber(ARGV[1]) then return {'conflict'} end
if ARGV[2] ~= '0' and redis.call('HGET', KEYS[1], 'attempt') ~= ARGV[2] then return {'fenced'} end
local terminal = { succeeded = true, failed = true, cancelled = true }
local oldStatus = redis.call('HGET', KEYS[1], 'status')
local starts = ARGV[4] == 'running' and oldStatus ~= 'running'
if starts then
  local running = redis.call('ZCARD', KEYS[7])
  local max = tonumber(ARGV[10])
  if max >= 0 and running >= max then return {'quota', running} end
  local tag = tonumber(redis.call('HGET', KEYS[1], 'tag') or '0')
  if tag > tonumber(redis.call('HGET', KEYS[8], 'v') or '0') then redis.call('HSET', KEYS[8], 'v', tag) end
end
rev = rev + 1
redis.call('HSET', KEYS[1], 'doc', ARGV[3], 'rev', rev, 'attempt', ARGV[5], 'status', ARGV[4])
if KEYS[3] ~= KEYS[4] then
  redis.call('ZREM', KEYS[3], ARGV[7])
  redis.call('ZREM', KEYS[5], ARGV[7])
end
redis.call('ZADD', KEYS[4], ARGV[6], ARGV[7])
redis.call('ZADD', KEYS[6], ARGV[6], ARGV[7])
if tonumber(ARGV[11]) ~= 0 then redis.call('HINCRBY', KEYS[9], 'bytes', ARGV[11]) end
for i = 18, #KEYS do
  if ARGV[i] == '' then redis.call('DEL', KEYS[i]) else redis.call('SET', KEYS[i], ARGV[i]) end
end
local eventId = ''
if ARGV[8] ~= '' then
  eventId = redis.call('XADD', KEYS[2], '*', 'type', ARGV[8], 'data', ARGV[9])
  redis.call('XADD', KEYS[10], 'MAXLEN', '~', ARGV[13], '*', 'job', ARGV[7], 'eid', eventId, 'type', ARGV[8], 'data', ARGV[9])
  -- Progress events are many and each supersedes the one before: the log keeps the last ARGV[12];
  -- status, epoch and terminal events are never deleted, so a resume by Last-Event-ID misses none.
  if ARGV[8] == 'progress' then
    redis.call('RPUSH', KEYS[11], eventId)
    if redis.call('LLEN', KEYS[11]) > tonumber(ARGV[12]) then redis.call('XDEL', KEYS[2], redis.call('LPOP', KEYS[11])) end
  end
  -- The one place every job's end is written (worker, cancel, reconciler alike): its webhook is
  -- owed from here, in the same atomic step, so no terminal event can be written without it.
  if terminal[ARGV[4]] and not terminal[oldStatus] then redis.call('HSET', KEYS[12], ARGV[7], eventId) end
end
-- A finished job: its dataset may go once unused for DATASET_RETENTION_SECONDS; its own keys expire
-- after ARGV[16] seconds (after every write above: SET clears a TTL), and the sweep
-- (src/store/retention.ts) takes it out of the listings then.
if terminal[ARGV[4]] then
  if ARGV[15] ~= '' then
    redis.call('SREM', KEYS[13], ARGV[7])
    redis.call('ZADD', KEYS[14], ARGV[14], ARGV[15])
  end
  local ttl = tonumber(ARGV[16])
  if ttl > 0 then
    for _, k in ipairs({KEYS[1], KEYS[2], KEYS[17]}) do redis.call('EXPIRE', k, ttl) end
    redis.call('ZADD', KEYS[15], tonumber(ARGV[14]) + ttl * 1000, ARGV[7])
    redis.call('HSET', KEYS[16], ARGV[7], ARGV[17] .. ' ' .. ARGV[4] .. ' ' .. redis.call('STRLEN', KEYS[17]))
  end
end
return {'ok', rev, eventId}
`;

/** setFenced: write a value owned by one attempt of a job (a checkpoint) unless the attempt lost the job. */
export const SET_FENCED = `--[[
  setFenced

  KEYS[1]  job hash                 {p}:job:{id}
  KEYS[2]  target key               e.g. {p}:job:{id}:checkpoint

  ARGV[1]  attempt                  the writer's attempt (its fencing token)
  ARGV[2]  value                    bytes

  Output: 1 written | 0 fenced (another attempt owns the job, or the job has finished)
]]
if redis.call('HGET', KEYS[1], 'attempt') ~= ARGV[1] then return 0 end
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'succeeded' or status == 'failed' or status == 'cancelled' then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
return 1
`;
