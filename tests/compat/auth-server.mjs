// A channel authorization endpoint, signing exactly as the Pusher docs describe:
//   private:  auth = KEY:hex(HMAC-SHA256(secret, "socket_id:channel_name"))
//   presence: auth = KEY:hex(HMAC-SHA256(secret, "socket_id:channel_name:channel_data")), plus channel_data
// The client names its user with the form fields `user_id` and `user_name` (pusher-js
// `channelAuthorization.params`). Channels whose name contains `refused` get a wrongly signed auth.

import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';

export function sign(secret, text) {
  return createHmac('sha256', secret).update(text).digest('hex');
}

export async function startAuthServer({ key, secret }) {
  const requests = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const reply = (status, obj) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      const url = new URL(req.url, 'http://localhost');
      if (req.method !== 'POST' || url.pathname !== '/pusher/auth') return reply(404, { error: 'not found' });
      const form = new URLSearchParams(body);
      const socketId = form.get('socket_id');
      const channel = form.get('channel_name');
      requests.push({ socketId, channel, form: Object.fromEntries(form), headers: req.headers });
      if (!socketId || !channel) return reply(400, { error: 'socket_id and channel_name are required' });

      const signingSecret = channel.includes('refused') ? `${secret}-but-wrong` : secret;
      if (channel.startsWith('presence-')) {
        const userId = form.get('user_id');
        if (!userId) return reply(403, { error: 'no user' });
        const channelData = JSON.stringify({
          user_id: userId,
          user_info: { name: form.get('user_name') || userId },
        });
        const auth = `${key}:${sign(signingSecret, `${socketId}:${channel}:${channelData}`)}`;
        return reply(200, { auth, channel_data: channelData });
      }
      return reply(200, { auth: `${key}:${sign(signingSecret, `${socketId}:${channel}`)}` });
    });
  });
  await new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', res);
  });
  const { port } = server.address();
  return {
    port,
    endpoint: `http://127.0.0.1:${port}/pusher/auth`,
    requests,
    async stop() {
      server.closeAllConnections?.();
      await new Promise((res) => server.close(res));
    },
  };
}
