-- Takes everything of one dead node off one channel. ARGV: channel, node.
-- Returns {subscriptions, changed, users gone in join order}.
local channel, node = ARGV[1], ARGV[2]
local prefix = node .. '.'
redis.call('SREM', KEYS[5], channel)
if not redis.call('HGET', KEYS[1], channel) then
  return {0, 0, {}}
end
local total = tonumber(redis.call('HGET', KEYS[1], channel))
local here = tonumber(redis.call('HGET', KEYS[2], node) or '0')
redis.call('HDEL', KEYS[2], node)
local elsewhere = function(s) return string.sub(s, 1, #prefix) ~= prefix end
local gone = {}
for _, user in ipairs(redis.call('ZRANGE', KEYS[4], 0, -1)) do
  if filter_sockets(KEYS[3], KEYS[4], user, elsewhere) == 1 then
    gone[#gone + 1] = user
  end
end
total = total - here
if here > 0 then
  set_total(channel, total)
end
local changed = 0
if here > 0 or #gone > 0 then
  changed = 1
end
return {math.max(total, 0), changed, gone}
