// Lua scripts for the job store. Each opens with a header listing its KEYS, ARGV and output, the way
// BullMQ's own scripts do. They are small on purpose: the document merge happens in TypeScript
// (src/store/merge.ts); the scripts only make "check, then write" atomic.

/**
 * commit: replace a job document and append one event to its log, atomically, if the document is
 * still at the revision the caller read and (when fenced) the caller's attempt is the current one.
 */
export const COMMIT = `--[[
  commit

  KEYS[1]  job hash                 {p}:job:{id}          fields doc, spec, rev, attempt, status
  KEYS[2]  event stream             {p}:job:{id}:events
  KEYS[3]  all jobs                 {p}:jobs              zset, score createdAt ms
  KEYS[4]  old status set           {p}:jobs:status:{old} (may equal KEYS[5])
  KEYS[5]  new status set           {p}:jobs:status:{new}
  KEYS[6..] extra string keys, one per ARGV[11..] (value "" deletes the key)

  ARGV[1]  expected rev             "0": the job must not exist yet
  ARGV[2]  fence attempt            "0": not fenced; else the stored attempt must equal it
  ARGV[3]  document JSON
  ARGV[4]  new status
  ARGV[5]  new attempt
  ARGV[6]  createdAt ms (score)
  ARGV[7]  job id (member)
  ARGV[8]  event type               "": no event
  ARGV[9]  event data JSON
  ARGV[10] spec JSON                "": leave as is
  ARGV[11..] values for KEYS[6..]

  Output: {"ok", rev, eventId} | {"conflict"} (changed since read: re-read, retry) | {"fenced"}
]]
local rev = tonumber(redis.call('HGET', KEYS[1], 'rev') or '0')
if rev ~= tonumber(ARGV[1]) then return {'conflict'} end
if ARGV[2] ~= '0' and redis.call('HGET', KEYS[1], 'attempt') ~= ARGV[2] then return {'fenced'} end
rev = rev + 1
redis.call('HSET', KEYS[1], 'doc', ARGV[3], 'rev', rev, 'attempt', ARGV[5], 'status', ARGV[4])
if ARGV[10] ~= '' then redis.call('HSET', KEYS[1], 'spec', ARGV[10]) end
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[7])
if KEYS[4] ~= KEYS[5] then redis.call('ZREM', KEYS[4], ARGV[7]) end
redis.call('ZADD', KEYS[5], ARGV[6], ARGV[7])
for i = 6, #KEYS do
  if ARGV[i + 5] == '' then redis.call('DEL', KEYS[i]) else redis.call('SET', KEYS[i], ARGV[i + 5]) end
end
local eventId = ''
if ARGV[8] ~= '' then
  eventId = redis.call('XADD', KEYS[2], '*', 'type', ARGV[8], 'data', ARGV[9])
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
