// The Node SDK's agent for the shared scenario (sdks/scenario/): reads one JSON command per line on
// stdin, performs it with @lattestream/server, writes one JSON answer per line on stdout, with the
// results in the wire's field names so the driver checks every SDK the same way.

const readline = require('node:readline');
const { LatteStreamServer, LatteStreamError, verifyWebhookSignature } = require('@lattestream/server');

const ops = {
  trigger: (s, c) => s.trigger(c.channels, c.event, c.data, { socketId: c.socket_id }).then((r) => r),
  batch_trigger: async (s, c) => {
    const batch = c.batch.map((e) => ({ channel: e.channel, event: e.event, data: e.data, socketId: e.socket_id }));
    const r = await s.batchTrigger(batch);
    return { batch_id: r.batchId, total_events: r.totalEvents, total_triggered: r.totalTriggered };
  },
  authorize: async (s, c) => s.authorizeChannel(c.socket_id, c.channel, c.presence ?? undefined),
  token: async (s, c) => {
    const r = await s.createAccessToken(c.user_id, { permissions: c.permissions, expiresIn: c.expires_in });
    return { access_token: r.accessToken, token_type: r.tokenType, expires_in: r.expiresIn, tenant_id: r.tenantId };
  },
  channels: async (s, c) => {
    const r = await s.getChannels({ filterByPrefix: c.prefix });
    return { channels: r.channels.map(wireChannel), total_channels: r.totalChannels };
  },
  channel: async (s, c) => {
    const r = await s.getChannelInfo(c.name);
    const out = { ...wireChannel(r), occupied: r.occupied };
    if (r.subscriptionCount !== undefined) out.subscription_count = r.subscriptionCount;
    if (r.userCount !== undefined) out.user_count = r.userCount;
    return out;
  },
  users: async (s, c) => {
    const r = await s.getUsers(c.name);
    return { users: r.users.map((u) => ({ id: u.id, user_info: u.userInfo })) };
  },
  terminate: (s, c) => s.terminateUserConnections(c.user_id),
  verify_webhook: async (_s, c) => ({ valid: verifyWebhookSignature(c.body, c.signature, c.secret) }),
  base_url: async (s) => ({ base_url: s.baseUrl }),
};

function wireChannel(c) {
  const out = { channel: c.channel, member_count: c.memberCount };
  if (c.members) {
    out.members = c.members.map((m) => ({ user_id: m.userId, user_info: m.userInfo, socket_id: m.socketId }));
  }
  return out;
}

function wireError(e) {
  if (!(e instanceof LatteStreamError)) throw e;
  return { type: e.name, code: e.code, status: e.status, retry_after: e.retryAfter, message: e.message };
}

async function handle(line) {
  const command = JSON.parse(line);
  const options = command.max_retries === undefined ? {} : { maxRetries: command.max_retries };
  try {
    const server = new LatteStreamServer(command.key, options);
    return { id: command.id, ok: await ops[command.op](server, command) };
  } catch (e) {
    return { id: command.id, error: wireError(e) };
  }
}

(async () => {
  for await (const line of readline.createInterface({ input: process.stdin })) {
    if (line.trim()) process.stdout.write(`${JSON.stringify(await handle(line))}\n`);
  }
})();
