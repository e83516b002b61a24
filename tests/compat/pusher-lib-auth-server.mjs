// Auth endpoints built with the official `pusher` server library, as a Laravel or Express backend has
// them: channel authorization through `pusher.authorizeChannel(socketId, channel, presenceData)` (which
// adds `shared_secret` for `private-encrypted-` channels when the library has a master key) and user
// authentication through `pusher.authenticateUser(socketId, userData)`. The client names its user with
// the form fields `user_id`, `user_name` and, for sign-in, `watchlist` (comma-separated user ids).

import { createServer } from 'node:http';

/** Answers one form-encoded POST: `/pusher/auth` (channels) or `/pusher/user-auth` (sign-in). */
function answer(lib, path, form) {
  const socketId = form.get('socket_id');
  const userId = form.get('user_id');
  const name = form.get('user_name') || userId;
  if (path === '/pusher/user-auth') {
    if (!userId) return [403, { error: 'no user' }];
    const watchlist = form.get('watchlist');
    const user = watchlist ? { id: userId, name, watchlist: watchlist.split(',') } : { id: userId, name };
    return [200, lib.authenticateUser(socketId, user)];
  }
  if (path === '/pusher/auth') {
    const channel = form.get('channel_name');
    if (!channel.startsWith('presence-')) return [200, lib.authorizeChannel(socketId, channel)];
    if (!userId) return [403, { error: 'no user' }];
    return [200, lib.authorizeChannel(socketId, channel, { user_id: userId, user_info: { name } })];
  }
  return [404, { error: 'not found' }];
}

/** Starts the endpoints on 127.0.0.1:0; `lib` is a configured `pusher` instance. */
export async function startLibAuthServer(lib) {
  const requests = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const path = new URL(req.url, 'http://localhost').pathname;
      const form = new URLSearchParams(body);
      requests.push({ path, form: Object.fromEntries(form) });
      let status, reply;
      try {
        [status, reply] = req.method === 'POST' ? answer(lib, path, form) : [405, { error: 'POST only' }];
      } catch (e) {
        [status, reply] = [400, { error: String(e.message || e) }];
      }
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(reply));
    });
  });
  await new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', res);
  });
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    channelEndpoint: `${base}/pusher/auth`,
    userEndpoint: `${base}/pusher/user-auth`,
    requests,
    async stop() {
      server.closeAllConnections?.();
      await new Promise((res) => server.close(res));
    },
  };
}
