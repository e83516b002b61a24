-- Takes or renews a node's lease on delivering one endpoint.
-- KEYS[1]: the lease; ARGV[1]: this node's id; ARGV[2]: the lease's time to live (ms).
-- Returns 1 while this node holds it, 0 while another node does.
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
