// Lua scripts for the dataset store (src/store/datasets.ts), each with its KEYS, ARGV and output.

/**
 * put: store a dataset unless its tenant would pass a quota. A content-addressed one (an inline
 * dataset, ARGV[9] = "1") that is stored already is only marked used. Large bytes arrive staged
 * (written in pieces under KEYS[8], src/store/dataset-writes.ts): the commit renames them into place,
 * so no reader sees part of a dataset, and every refusal deletes them.
 */
export const PUT_DATASET = `--[[
  putDataset

  KEYS[1]  dataset hash             {p}:dataset:{id}      field meta
  KEYS[2]  all datasets             {p}:datasets          zset, score createdAt ms
  KEYS[3]  tenant's datasets        {p}:tenant:{t}:datasets
  KEYS[4]  tenant's usage           {p}:tenant:{t}:usage  fields datasets, bytes
  KEYS[5]  tenants                  {p}:tenants
  KEYS[6]  datasets by last use     {p}:datasets:used     zset, score ms (DATASET_RETENTION_SECONDS)
  KEYS[7]  dataset bytes            {p}:dataset:{id}:data string
  KEYS[8]  staged bytes             {p}:dataset:{id}:staging:{token}  string (when ARGV[2] is empty)

  ARGV[1]  meta JSON
  ARGV[2]  data                     "": the bytes are staged in KEYS[8]
  ARGV[3]  createdAt ms
  ARGV[4]  id
  ARGV[5]  bytes
  ARGV[6]  max datasets             "-1": no limit
  ARGV[7]  max stored bytes         "-1": no limit
  ARGV[8]  tenant
  ARGV[9]  "1": content-addressed (stored already: only its last use moves)

  Output: {"ok"} | {"exists", meta JSON} | {"quota", name, used}
]]
local staged = ARGV[2] == ''
if ARGV[9] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then
  if staged then redis.call('DEL', KEYS[8]) end
  redis.call('ZADD', KEYS[6], ARGV[3], ARGV[4])
  return {'exists', redis.call('HGET', KEYS[1], 'meta')}
end
local usage = redis.call('HMGET', KEYS[4], 'datasets', 'bytes')
local count, bytes = tonumber(usage[1] or '0'), tonumber(usage[2] or '0')
local refused
if tonumber(ARGV[6]) >= 0 and count >= tonumber(ARGV[6]) then refused = {'quota', 'maxDatasets', count}
elseif tonumber(ARGV[7]) >= 0 and bytes + tonumber(ARGV[5]) > tonumber(ARGV[7]) then refused = {'quota', 'maxStoredBytes', bytes} end
if refused then
  if staged then redis.call('DEL', KEYS[8]) end
  return refused
end
if staged then
  if redis.call('STRLEN', KEYS[8]) ~= tonumber(ARGV[5]) then
    redis.call('DEL', KEYS[8])
    return redis.error_reply('ERR staged dataset bytes are missing or incomplete')
  end
  redis.call('RENAME', KEYS[8], KEYS[7])
  redis.call('PERSIST', KEYS[7])
else
  redis.call('SET', KEYS[7], ARGV[2])
end
redis.call('HSET', KEYS[1], 'meta', ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
redis.call('ZADD', KEYS[6], ARGV[3], ARGV[4])
-- A job's inline samples count against the tenant's stored bytes, not its datasets (it never uploaded them).
if ARGV[9] ~= '1' then redis.call('HINCRBY', KEYS[4], 'datasets', 1) end
redis.call('HINCRBY', KEYS[4], 'bytes', ARGV[5])
redis.call('SADD', KEYS[5], ARGV[8])
return {'ok'}
`;

/**
 * delete: remove a dataset and give its tenant the room back, unless an unfinished job needs it
 * (the caller first drops finished or missing jobs from the set).
 */
export const DELETE_DATASET = `--[[
  deleteDataset

  KEYS[1]  dataset hash             {p}:dataset:{id}
  KEYS[2]  all datasets             {p}:datasets
  KEYS[3]  tenant's datasets        {p}:tenant:{t}:datasets
  KEYS[4]  tenant's usage           {p}:tenant:{t}:usage
  KEYS[5]  jobs that need it        {p}:dataset:{id}:jobs  set
  KEYS[6]  datasets by last use     {p}:datasets:used
  KEYS[7]  dataset bytes            {p}:dataset:{id}:data

  ARGV[1]  id
  ARGV[2]  bytes                    its stored size (from its meta)
  ARGV[3]  "1": an uploaded dataset (counted in the tenant's datasets); "0": a job's inline samples

  Output: {"ok"} | {"gone"} | {"in-use", jobIds...}
]]
if redis.call('SCARD', KEYS[5]) > 0 then
  local reply = redis.call('SMEMBERS', KEYS[5])
  table.insert(reply, 1, 'in-use')
  return reply
end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[1])
redis.call('DEL', KEYS[7])
if redis.call('DEL', KEYS[1]) == 0 then return {'gone'} end
if ARGV[3] == '1' then redis.call('HINCRBY', KEYS[4], 'datasets', -1) end
redis.call('HINCRBY', KEYS[4], 'bytes', -tonumber(ARGV[2]))
return {'ok'}
`;
