-- ARGV: channel, node, socket, presence ('1' or '0'), user.
-- Returns {subscriptions, last subscriber, user gone}; {0, 0, 0} for an unoccupied channel.
local channel, node, socket = ARGV[1], ARGV[2], ARGV[3]
local total = tonumber(redis.call('HGET', KEYS[1], channel) or '-1')
if total < 0 then
  return {0, 0, 0}
end
local here = tonumber(redis.call('HGET', KEYS[2], node) or '0')
if here > 1 then
  redis.call('HINCRBY', KEYS[2], node, -1)
elseif here == 1 then
  redis.call('HDEL', KEYS[2], node)
  redis.call('SREM', KEYS[5], channel)
end
if here > 0 then
  total = total - 1
end
local gone = 0
if ARGV[4] == '1' then
  gone = filter_sockets(KEYS[3], KEYS[4], ARGV[5], function(s) return s ~= socket end)
end
set_total(channel, total)
local last = 0
if total <= 0 then
  last = 1
end
return {math.max(total, 0), last, gone}
