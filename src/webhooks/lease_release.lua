-- Gives up a node's lease on one endpoint, if it still holds it.
-- KEYS[1]: the lease; ARGV[1]: this node's id. Returns 1 when released.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
