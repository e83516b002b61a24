// Auth endpoints built with the official `pusher` server library, as a Laravel or Express backend has
// them: channel authorization through `pusher.authorizeChannel(socketId, channel, presenceData)` (which
// adds `shared_secret` for `private-encrypted-` channels when the library has a master key) and user
// authentication through `pusher.authenticateUser(socketId, userData)`. The client names its user with
// the form fields `user_id`, `user_name` and, for sign-in, `watchlist` (comma-separated user ids).

import PusherServer from 'pusher';

import { APP_ID } from './server.mjs';
import { serveForms } from './form-server.mjs';

/** The `pusher` library configured for the test server by host and port only, as a backend switching
 * from Pusher would be; `overrides` change or add options. */
export function serverLibrary(server, overrides = {}) {
  return new PusherServer({
    appId: APP_ID,
    key: server.key,
    secret: server.secret,
    host: '127.0.0.1',
    port: server.port,
    useTLS: false,
    ...overrides,
  });
}

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
  const forms = await serveForms(({ method, path, form }) => {
    requests.push({ path, form: Object.fromEntries(form) });
    try {
      return method === 'POST' ? answer(lib, path, form) : [405, { error: 'POST only' }];
    } catch (e) {
      return [400, { error: String(e.message || e) }];
    }
  });
  return {
    channelEndpoint: `${forms.base}/pusher/auth`,
    userEndpoint: `${forms.base}/pusher/user-auth`,
    requests,
    stop: forms.stop,
  };
}
