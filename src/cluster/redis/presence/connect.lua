-- KEYS: the app's connections per node. ARGV: node, max ('' for no limit).
-- Returns 1 when the connection is counted, 0 when the app already has max.
if ARGV[2] ~= '' then
  local total = 0
  for _, n in ipairs(redis.call('HVALS', KEYS[1])) do
    total = total + tonumber(n)
  end
  if total >= tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
return 1
