-- KEYS: the app's connections per node. ARGV: node. Forgets one connection of the node, if any.
local n = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if n > 1 then
  redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
elseif n == 1 then
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return n
