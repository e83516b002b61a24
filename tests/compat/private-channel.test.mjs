// 3. Private channels through a real HTTP auth endpoint (pusher-js `channelAuthorization`, ajax transport).
//    A wrongly signed auth yields `pusher:subscription_error`, and the connection stays usable.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startEnv, next, record } from './helpers.mjs';

let env;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env?.close();
});

test('private channel: pusher-js asks the auth endpoint, subscribes and receives events', async () => {
  const pusher = await env.connectedClient();
  const seen = env.auth.requests.length;
  const [channel] = await env.subscribe(pusher, 'private-orders');
  const asked = env.auth.requests.slice(seen);
  assert.equal(asked.length, 1, 'pusher-js called the auth endpoint once');
  assert.equal(asked[0].channel, 'private-orders');
  assert.equal(asked[0].socketId, pusher.connection.socket_id);

  const got = next(channel, 'order-placed', 'order-placed on private-orders');
  const reply = await env.server.trigger({ channels: ['private-orders'], event: 'order-placed', data: { id: 7 } });
  assert.equal(reply.triggered, 1);
  assert.deepEqual((await got)[0], { id: 7 });
});

test('a wrongly signed auth yields pusher:subscription_error and the connection stays usable', async () => {
  const pusher = await env.connectedClient();
  const socketId = pusher.connection.socket_id;
  const channel = pusher.subscribe('private-refused');
  const succeeded = record(channel, 'pusher:subscription_succeeded');
  const connectionErrors = record(pusher.connection, 'error');
  const [error] = await next(channel, 'pusher:subscription_error', 'subscription_error on private-refused');
  assert.equal(succeeded.length, 0);
  assert.ok(error && typeof error === 'object', `error is an object: ${JSON.stringify(error)}`);
  // The auth endpoint answered 200, so this error came from the server (a `pusher:subscription_error`
  // frame), not from pusher-js's HTTP call, whose messages read "Unable to retrieve auth string …".
  assert.equal(env.auth.requests.at(-1).channel, 'private-refused');
  assert.equal(typeof error.error, 'string', JSON.stringify(error));
  assert.doesNotMatch(error.error, /Unable to retrieve auth/);
  assert.equal(error.status, 401, JSON.stringify(error));

  // Same connection, still connected, and another subscription works on it.
  assert.equal(pusher.connection.state, 'connected');
  assert.equal(pusher.connection.socket_id, socketId);
  const [ok] = await env.subscribe(pusher, 'private-after-refusal');
  const got = next(ok, 'hello', 'hello on private-after-refusal');
  assert.equal(
    (await env.server.trigger({ channels: ['private-after-refusal'], event: 'hello', data: { a: 1 } })).triggered,
    1,
  );
  assert.deepEqual((await got)[0], { a: 1 });
  assert.equal(connectionErrors.length, 0, `connection errors: ${JSON.stringify(connectionErrors)}`);

  // The refused channel has no subscriber.
  assert.equal(
    (await env.server.trigger({ channels: ['private-refused'], event: 'nope', data: {} })).triggered,
    0,
  );
});

test('an auth endpoint that answers 403 yields pusher-js\'s AuthError; the connection stays usable', async () => {
  // A presence channel without a user: the auth endpoint refuses with 403 (no user).
  const pusher = await env.connectedClient();
  const channel = pusher.subscribe('presence-nobody');
  const [error] = await next(channel, 'pusher:subscription_error', 'subscription_error on presence-nobody');
  assert.equal(error.type, 'AuthError');
  assert.equal(error.status, 403);
  await env.subscribe(pusher, 'private-still-fine');
  assert.equal(pusher.connection.state, 'connected');
});
