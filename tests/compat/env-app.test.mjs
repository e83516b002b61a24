// The app given wholly by environment variables (LATTESTREAM_APP_ID/_KEY/_SECRET/_CLIENT_EVENTS/
// _RATE_LIMIT) with LATTESTREAM_LOG=info, as the server documents: the server must start and serve it.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer, APP_KEY } from './server.mjs';
import { startAuthServer } from './auth-server.mjs';
import { Pusher, clientOptions, next } from './helpers.mjs';

test('the LATTESTREAM_APP_* app serves pusher-js, with client events on', async () => {
  const server = await startServer({ appFrom: 'env' });
  const auth = await startAuthServer({ key: server.key, secret: server.secret });
  const clients = [];
  try {
    const client = () => {
      const p = new Pusher(
        APP_KEY,
        clientOptions(server, { channelAuthorization: { endpoint: auth.endpoint, transport: 'ajax' } }),
      );
      clients.push(p);
      return p;
    };
    const subscribed = async (p, name) => {
      const ch = p.subscribe(name);
      await next(ch, 'pusher:subscription_succeeded', `subscription_succeeded on ${name}`);
      return ch;
    };
    const a = client();
    const b = client();
    const chA = await subscribed(a, 'private-env');
    const chB = await subscribed(b, 'private-env');
    assert.match(a.connection.socket_id, /^\d+\.\d+$/);
    const got = next(chB, 'client-env', 'client-env on b');
    chA.trigger('client-env', { ok: 1 }); // needs LATTESTREAM_APP_CLIENT_EVENTS=true
    assert.deepEqual((await got)[0], { ok: 1 });
    // LATTESTREAM_APP_RATE_LIMIT=false: more than the default 100 triggers/second all succeed.
    const replies = await Promise.all(
      Array.from({ length: 120 }, (_, i) => server.trigger({ channels: ['private-env'], event: 'burst', data: { i } })),
    );
    assert.ok(replies.every((r) => r.triggered === 2));
  } finally {
    for (const p of clients) p.disconnect();
    await auth.stop();
    await server.stop();
  }
});
