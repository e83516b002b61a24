// A channel authorization endpoint, signing exactly as the Pusher docs describe:
//   private:  auth = KEY:hex(HMAC-SHA256(secret, "socket_id:channel_name"))
//   presence: auth = KEY:hex(HMAC-SHA256(secret, "socket_id:channel_name:channel_data")), plus channel_data
// The client names its user with the form fields `user_id` and `user_name` (pusher-js
// `channelAuthorization.params`). Channels whose name contains `refused` get a wrongly signed auth.

import { createHmac } from 'node:crypto';

import { serveForms } from './form-server.mjs';

export function sign(secret, text) {
  return createHmac('sha256', secret).update(text).digest('hex');
}

/** Answers one authorization request (its form) with `[status, body]`. */
function answer(key, secret, form) {
  const socketId = form.get('socket_id');
  const channel = form.get('channel_name');
  if (!socketId || !channel) return [400, { error: 'socket_id and channel_name are required' }];

  const signingSecret = channel.includes('refused') ? `${secret}-but-wrong` : secret;
  if (channel.startsWith('presence-')) {
    const userId = form.get('user_id');
    if (!userId) return [403, { error: 'no user' }];
    const channelData = JSON.stringify({
      user_id: userId,
      user_info: { name: form.get('user_name') || userId },
    });
    const auth = `${key}:${sign(signingSecret, `${socketId}:${channel}:${channelData}`)}`;
    return [200, { auth, channel_data: channelData }];
  }
  return [200, { auth: `${key}:${sign(signingSecret, `${socketId}:${channel}`)}` }];
}

export async function startAuthServer({ key, secret }) {
  const requests = [];
  const forms = await serveForms(({ method, path, form, headers }) => {
    if (method !== 'POST' || path !== '/pusher/auth') return [404, { error: 'not found' }];
    requests.push({
      socketId: form.get('socket_id'),
      channel: form.get('channel_name'),
      form: Object.fromEntries(form),
      headers,
    });
    return answer(key, secret, form);
  });
  return {
    endpoint: `${forms.base}/pusher/auth`,
    requests,
    stop: forms.stop,
  };
}
