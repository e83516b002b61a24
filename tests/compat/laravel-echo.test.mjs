// 8. Laravel Echo (npm, pinned) with pusher-js as its connector, as a Laravel front end uses it:
//    `broadcaster: 'pusher'` pointed at LatteStream by host and port. The backend side is the official
//    `pusher` Node library, which is what Laravel's Pusher broadcaster drives: it triggers the
//    namespaced event names Laravel sends and signs channel authorization like `/broadcasting/auth`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Echo from 'laravel-echo';

import { Pusher, clientOptions, within } from './helpers.mjs';
import { startServer } from './server.mjs';
import { serverLibrary, startLibAuthServer } from './pusher-lib-auth-server.mjs';

let server, auth, lib;
const echoes = [];

before(async () => {
  server = await startServer();
  lib = serverLibrary(server);
  auth = await startLibAuthServer(lib);
});

after(async () => {
  for (const e of echoes) e.disconnect();
  await auth?.stop();
  await server?.stop();
});

/** An Echo instance for `user`, connected. */
async function echoFor(user) {
  const params = { user_id: user, user_name: user.toUpperCase() };
  const echo = new Echo({
    broadcaster: 'pusher',
    Pusher,
    key: server.key,
    ...clientOptions(server, {
      channelAuthorization: { endpoint: auth.channelEndpoint, transport: 'ajax', params },
    }),
  });
  echoes.push(echo);
  const connected = new Promise((res) => echo.connector.pusher.connection.bind('connected', res));
  await within(connected, `${user} to connect`);
  return echo;
}

/** Resolves with the first payload of `event` heard by `listen` (an Echo channel's listen-like method). */
function heard(channel, method, event) {
  return within(new Promise((res) => channel[method](event, res)), `${method}(${event})`);
}

/** Resolves once Echo's channel reports its subscription. */
function subscribed(channel) {
  return within(new Promise((res) => channel.subscribed(res)), 'subscription');
}

test('Echo hears a namespaced Laravel event on a public channel', async () => {
  const echo = await echoFor('ann');
  const channel = echo.channel('orders');
  await subscribed(channel);
  const got = heard(channel, 'listen', 'OrderShipped');
  await lib.trigger('orders', 'App\\Events\\OrderShipped', { order: { id: 7 } });
  assert.deepEqual(await got, { order: { id: 7 } });
});

test('Echo private channels authorize through the backend and hear events', async () => {
  const echo = await echoFor('ann');
  const channel = echo.private('orders.7');
  await subscribed(channel);
  const got = heard(channel, 'listen', '.status-changed');
  await lib.trigger('private-orders.7', 'status-changed', { status: 'shipped' });
  assert.deepEqual(await got, { status: 'shipped' });
});

test('Echo presence channels report here, joining and leaving', async () => {
  const ann = await echoFor('ann');
  const room = ann.join('room.1');
  const here = await within(new Promise((res) => room.here(res)), 'here');
  assert.deepEqual(here.map((m) => m.name), ['ANN']);
  const joining = within(new Promise((res) => room.joining(res)), 'joining');
  const bob = await echoFor('bob');
  const bobRoom = bob.join('room.1');
  const bobHere = await within(new Promise((res) => bobRoom.here(res)), 'bob here');
  assert.deepEqual(bobHere.map((m) => m.name).sort(), ['ANN', 'BOB']);
  assert.equal((await joining).name, 'BOB');
  const leaving = within(new Promise((res) => room.leaving(res)), 'leaving');
  bob.leave('room.1');
  assert.equal((await leaving).name, 'BOB');
});

test('Echo whispers are client events, heard by others and not echoed', async () => {
  const ann = await echoFor('ann');
  const bob = await echoFor('bob');
  const annChat = ann.private('chat.1');
  const bobChat = bob.private('chat.1');
  await Promise.all([subscribed(annChat), subscribed(bobChat)]);
  let echoed = false;
  annChat.listenForWhisper('typing', () => (echoed = true));
  const got = heard(bobChat, 'listenForWhisper', 'typing');
  annChat.whisper('typing', { who: 'ann' });
  assert.deepEqual(await got, { who: 'ann' });
  const marker = heard(annChat, 'listen', '.after');
  await lib.trigger('private-chat.1', 'after', {});
  await marker;
  assert.equal(echoed, false, 'the whisper was not echoed to its sender');
});
