-- The webhook queue's operations, one atomic script (see src/webhooks/redis.rs for the layout).
-- KEYS[1]: the event id counter (its hash tag places every queue key in one slot).
-- ARGV[1]: the queue's key base ("PREFIX:wh:{wh}:"), ARGV[2]: the operation, ARGV[3..]: its input.
-- An endpoint is named "APP:URL" (app ids are digits, so the first ':' splits it).
local base = ARGV[1]
local op = ARGV[2]

local function s(n) return string.format('%.0f', n) end
local function rows_key(ep) return base .. 'rows:' .. ep end
local function at_key(ep) return base .. 'at:' .. ep end

-- Drops an endpoint from the list once it has neither rows nor dead letters.
local function tidy(ep)
  if redis.call('ZCARD', rows_key(ep)) == 0 and not redis.call('HGET', base .. 'deadcount', ep) then
    redis.call('SREM', base .. 'endpoints', ep)
  end
end

local function add_row(ep, id, at)
  redis.call('ZADD', rows_key(ep), id, id)
  redis.call('ZADD', at_key(ep), at, id)
  redis.call('SADD', base .. 'endpoints', ep)
end

-- Ends the hold of event `id` (a string), and its entry in the index of held departures by what
-- they are about ("APP\nCHANNEL\nUSER" → id) if it is still the one there. Nothing for an id that
-- is not held (released before, or gone: another node's return cancelled it).
local function unhold(id)
  if redis.call('SREM', base .. 'held', id) == 0 then return end
  local rec = redis.call('HGET', base .. 'ev', id)
  local key = rec and cjson.decode(rec).hold
  if type(key) == 'string' and redis.call('HGET', base .. 'heldkey', key) == id then
    redis.call('HDEL', base .. 'heldkey', key)
  end
end

local function forget_event(id)
  unhold(id)
  redis.call('HDEL', base .. 'ev', id)
  redis.call('HDEL', base .. 'left', id)
end

-- Removes one row; returns its event's record when it was there.
local function drop_row(ep, id)
  if redis.call('ZREM', rows_key(ep), id) == 0 then return nil end
  redis.call('ZREM', at_key(ep), id)
  local rec = redis.call('HGET', base .. 'ev', id)
  if redis.call('HINCRBY', base .. 'left', id, -1) <= 0 then forget_event(id) end
  return rec
end

-- Stores a new event (record JSON `rec`) with one row per endpoint of `app` in `urls`; a held
-- departure with its hold key `key` is indexed by it.
local function store(id, rec, app, urls, at, held, key)
  if #urls == 0 then return end
  redis.call('HSET', base .. 'ev', id, rec)
  redis.call('HSET', base .. 'left', id, #urls)
  if held then
    redis.call('SADD', base .. 'held', id)
    if key then redis.call('HSET', base .. 'heldkey', key, id) end
  end
  for _, url in ipairs(urls) do add_row(app .. ':' .. url, id, at) end
end

-- Removes event `id` (a string) with all its rows, if it is still there.
local function cancel(id)
  local rec = redis.call('HGET', base .. 'ev', id)
  if not rec then return end
  local e = cjson.decode(rec)
  for _, url in ipairs(e.urls) do drop_row(e.app .. ':' .. url, id) end
  for _, url in ipairs(e.urls) do tidy(e.app .. ':' .. url) end
end

-- A return (`e.back`, not held) whose departure is held, by whichever node: cancels the
-- departure; true when it did (the return is then not stored either).
local function undoes_held(e)
  if not e.back or e.held or type(e.key) ~= 'string' then return false end
  local held = redis.call('HGET', base .. 'heldkey', e.key)
  if not held then return false end
  cancel(held)
  redis.call('HDEL', base .. 'heldkey', e.key)
  return true
end

local function write()
  local w = cjson.decode(ARGV[3])
  local ids = {}
  local n = #w.events
  if n > 0 then
    local first = redis.call('INCRBY', KEYS[1], n) - n + 1
    for i, e in ipairs(w.events) do
      local id = first + i - 1
      if not undoes_held(e) then
        local key = type(e.key) == 'string' and e.key or nil
        store(s(id), e.rec, e.app, e.urls, s(e.at), e.held, key)
      end
      ids[i] = id
    end
  end
  for _, id in ipairs(w.cancel) do cancel(s(id)) end
  for _, id in ipairs(w.release) do unhold(s(id)) end
  local seq = s(tonumber(redis.call('GET', KEYS[1]) or '0') + 1)
  for _, l in ipairs(w.ledger) do
    if l.present then
      redis.call('HSETNX', base .. 'ledger', l.field, seq)
    else
      redis.call('HDEL', base .. 'ledger', l.field)
    end
  end
  return ids
end

-- ARGV[3]: endpoint, ARGV[4]: most events. Returns {id, record, ...}.
local function take()
  local ep, max = ARGV[3], tonumber(ARGV[4])
  local ids = redis.call('ZRANGE', rows_key(ep), 0, math.max(max * 10, 1000) - 1)
  local blocked, out, found = {}, {}, 0
  for _, id in ipairs(ids) do
    local rec = redis.call('HGET', base .. 'ev', id)
    local channel = rec and cjson.decode(rec).channel
    if not rec then
      -- A row without its event (never written so): skipped rather than failing every take.
    elseif blocked[channel] or redis.call('SISMEMBER', base .. 'held', id) == 1 then
      blocked[channel] = true
    else
      out[#out + 1] = id
      out[#out + 1] = rec
      found = found + 1
      if found == max then break end
    end
  end
  return out
end

-- ARGV[3]: endpoint, ARGV[4..]: ids.
local function ack()
  local ep = ARGV[3]
  for i = 4, #ARGV do drop_row(ep, ARGV[i]) end
  tidy(ep)
  return 0
end

-- Moves the rows `ids` of `ep` into one dead letter; returns how many moved.
local function bury_ids(ep, app, url, meta, ids)
  local rows = {}
  for _, id in ipairs(ids) do
    local rec = drop_row(ep, id)
    if rec then
      local e = cjson.decode(rec)
      rows[#rows + 1] = { channel = e.channel, name = e.name, body = e.body }
    end
  end
  if #rows == 0 then
    tidy(ep)
    return 0
  end
  local dead = redis.call('INCR', base .. 'deadseq')
  local record = cjson.encode({ app = app, url = url, meta = meta, rows = rows })
  redis.call('HSET', base .. 'dead', dead, record)
  redis.call('ZADD', base .. 'deadids', dead, dead)
  redis.call('HINCRBY', base .. 'deadcount', ep, #rows)
  redis.call('SADD', base .. 'endpoints', ep)
  return #rows
end

-- ARGV[3]: app, ARGV[4]: url, ARGV[5]: failure JSON, ARGV[6]: "ids" with ids after it, or
-- "older" with the time (ms) and the chunk size.
local function bury()
  local app, url, meta = ARGV[3], ARGV[4], ARGV[5]
  local ep = app .. ':' .. url
  if ARGV[6] == 'ids' then
    local ids = {}
    for i = 7, #ARGV do ids[#ids + 1] = ARGV[i] end
    return bury_ids(ep, app, url, meta, ids)
  end
  local chunk = math.max(tonumber(ARGV[8]), 1)
  local old = redis.call('ZRANGEBYSCORE', at_key(ep), '-inf', '(' .. ARGV[7])
  local ids = {}
  for _, id in ipairs(old) do
    if redis.call('SISMEMBER', base .. 'held', id) == 0 then ids[#ids + 1] = tonumber(id) end
  end
  table.sort(ids)
  local moved, part = 0, {}
  for i, id in ipairs(ids) do
    part[#part + 1] = s(id)
    if #part == chunk or i == #ids then
      moved = moved + bury_ids(ep, app, url, meta, part)
      part = {}
    end
  end
  return moved
end

-- ARGV[3]: app or "", ARGV[4]: after id, ARGV[5]: limit. Returns {id, record, ...}.
local function dead_letters()
  local app, limit = ARGV[3], tonumber(ARGV[5])
  local ids = redis.call('ZRANGEBYSCORE', base .. 'deadids', '(' .. ARGV[4], '+inf')
  local out, found = {}, 0
  for _, id in ipairs(ids) do
    if found >= limit then break end
    local rec = redis.call('HGET', base .. 'dead', id)
    if app == '' or cjson.decode(rec).app == app then
      out[#out + 1] = id
      out[#out + 1] = rec
      found = found + 1
    end
  end
  return out
end

-- Queues a dead letter's events again, as events of `now`.
local function requeue(d, now)
  local n = #d.rows
  local first = redis.call('INCRBY', KEYS[1], n) - n + 1
  for i, row in ipairs(d.rows) do
    local rec = cjson.encode({ app = d.app, channel = row.channel, name = row.name,
      at_ms = now, body = row.body, urls = { d.url } })
    store(s(first + i - 1), rec, d.app, { d.url }, s(now), false, nil)
  end
end

-- ARGV[3]: app or "", ARGV[4]: "replay" or "discard", ARGV[5]: now (ms), ARGV[6..]: ids (all when
-- none). Returns how many events moved.
local function resolve()
  local app, replay, now = ARGV[3], ARGV[4] == 'replay', tonumber(ARGV[5])
  local wanted = nil
  if #ARGV > 5 then
    wanted = {}
    for i = 6, #ARGV do wanted[ARGV[i]] = true end
  end
  local moved = 0
  for _, id in ipairs(redis.call('ZRANGE', base .. 'deadids', 0, -1)) do
    local d = cjson.decode(redis.call('HGET', base .. 'dead', id))
    if (app == '' or d.app == app) and (wanted == nil or wanted[id]) then
      local ep = d.app .. ':' .. d.url
      if replay then requeue(d, now) end
      redis.call('HDEL', base .. 'dead', id)
      redis.call('ZREM', base .. 'deadids', id)
      if redis.call('HINCRBY', base .. 'deadcount', ep, -#d.rows) <= 0 then
        redis.call('HDEL', base .. 'deadcount', ep)
      end
      tidy(ep)
      moved = moved + #d.rows
    end
  end
  return moved
end

-- Returns {endpoint, pending, oldest ms or "", dead, ...}.
local function stats()
  local out = {}
  for _, ep in ipairs(redis.call('SMEMBERS', base .. 'endpoints')) do
    local oldest = redis.call('ZRANGE', at_key(ep), 0, 0, 'WITHSCORES')[2] or ''
    out[#out + 1] = ep
    out[#out + 1] = tostring(redis.call('ZCARD', rows_key(ep)))
    out[#out + 1] = oldest
    out[#out + 1] = redis.call('HGET', base .. 'deadcount', ep) or '0'
  end
  return out
end

-- Returns {{id, record, ...}, {ledger field, seq, ...}}.
local function recovery()
  local held = redis.call('SMEMBERS', base .. 'held')
  local out = {}
  for _, id in ipairs(held) do
    out[#out + 1] = id
    out[#out + 1] = redis.call('HGET', base .. 'ev', id)
  end
  return { out, redis.call('HGETALL', base .. 'ledger') }
end

local ops = {
  write = write, take = take, ack = ack, bury = bury, dead_letters = dead_letters,
  resolve = resolve, stats = stats, recovery = recovery,
}
return ops[op]()
