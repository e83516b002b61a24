-- ARGV: channel, node, socket, presence ('1' or '0'), user, info ('' for none), max users.
-- Returns {subscriptions, first subscriber, new user, roster}, or {-1, 0, 0, {}} when a new user
-- would be one too many (nothing changed).
local channel, node, socket = ARGV[1], ARGV[2], ARGV[3]
local presence, user, info = ARGV[4] == '1', ARGV[5], ARGV[6]
if info == '' then
  info = nil
end
local new_user = 0
if presence then
  local raw = redis.call('HGET', KEYS[3], user)
  local m
  if raw then
    m = cjson.decode(raw)
    m.sockets[#m.sockets + 1] = socket
    m.info = info
  else
    if redis.call('HLEN', KEYS[3]) >= tonumber(ARGV[7]) then
      return {-1, 0, 0, {}}
    end
    m = {info = info, sockets = {socket}}
    new_user = 1
    local last = redis.call('ZRANGE', KEYS[4], -1, -1, 'WITHSCORES')
    redis.call('ZADD', KEYS[4], tonumber(last[2] or '0') + 1, user)
  end
  redis.call('HSET', KEYS[3], user, cjson.encode(m))
end
redis.call('HINCRBY', KEYS[2], node, 1)
redis.call('SADD', KEYS[5], channel)
local total = redis.call('HINCRBY', KEYS[1], channel, 1)
local first = 0
if total == 1 then
  first = 1
end
local members = {}
if presence then
  members = roster(KEYS[3], KEYS[4])
end
return {total, first, new_user, members}
