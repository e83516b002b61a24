-- Shared by every presence script; each script's KEYS are, in order: the app's channel counts
-- (hash channel -> subscriptions), the channel's per-node counts (hash node -> subscriptions), the
-- channel's users (hash user -> JSON {info, sockets}), the users' join order (zset user -> seq), and
-- the node's channels (set). A user's info is kept as its raw JSON text, so it reads back exactly.

-- The channel's members in join order, flattened: user, one of its sockets, info ('' for none).
local function roster(members_key, order_key)
  local out = {}
  for _, user in ipairs(redis.call('ZRANGE', order_key, 0, -1)) do
    local raw = redis.call('HGET', members_key, user)
    if raw then
      local m = cjson.decode(raw)
      out[#out + 1] = user
      out[#out + 1] = m.sockets[1]
      out[#out + 1] = m.info or ''
    end
  end
  return out
end

-- Stores user's record with only the sockets `keep` lets through; 1 when none is left (the user is
-- then gone from the channel), else 0.
local function filter_sockets(members_key, order_key, user, keep)
  local raw = redis.call('HGET', members_key, user)
  if not raw then
    return 0
  end
  local m = cjson.decode(raw)
  local kept = {}
  for _, s in ipairs(m.sockets) do
    if keep(s) then
      kept[#kept + 1] = s
    end
  end
  if #kept == 0 then
    redis.call('HDEL', members_key, user)
    redis.call('ZREM', order_key, user)
    return 1
  end
  if #kept < #m.sockets then
    m.sockets = kept
    redis.call('HSET', members_key, user, cjson.encode(m))
  end
  return 0
end

-- Records the channel's new total: removed with its per-channel keys when nothing is left.
local function set_total(channel, total)
  if total <= 0 then
    redis.call('HDEL', KEYS[1], channel)
    redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
  else
    redis.call('HSET', KEYS[1], channel, total)
  end
end
