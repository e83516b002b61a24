// 7. The official `pusher` server library (Node, pinned) against LatteStream's Pusher HTTP API, with
//    pusher-js on the receiving side: trigger (with `info`), batches, channel queries, channel
//    authorization and user sign-in built by the library, sendToUser, terminateUserConnections, and an
//    end-to-end encrypted channel. The library is configured only with a host and port, as a backend
//    switching from Pusher would be.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { Pusher as PusherClient, clientOptions, next, record, until, within } from './helpers.mjs';
import { startServer } from './server.mjs';
import { serverLibrary, startLibAuthServer } from './pusher-lib-auth-server.mjs';

// A fixed 32-byte master key for the encrypted channel (test data, not a secret).
const MASTER_KEY = Buffer.alloc(32, 7).toString('base64');

let server, auth, lib;
const clients = [];

function library(overrides = {}) {
  return serverLibrary(server, { encryptionMasterKeyBase64: MASTER_KEY, ...overrides });
}

before(async () => {
  server = await startServer({ settings: { watchlist_events: true } });
  lib = library();
  auth = await startLibAuthServer(lib);
});

after(async () => {
  for (const c of clients) c.disconnect();
  await auth?.stop();
  await server?.stop();
});

/** A connected pusher-js client; `user` ({id, name, watchlist}) goes to the auth endpoints as form params. */
async function connected(user) {
  const params = user ? { user_id: user.id, user_name: user.name ?? user.id } : {};
  if (user?.watchlist) params.watchlist = user.watchlist.join(',');
  const client = new PusherClient(
    server.key,
    clientOptions(server, {
      channelAuthorization: { endpoint: auth.channelEndpoint, transport: 'ajax', params },
      userAuthentication: { endpoint: auth.userEndpoint, transport: 'ajax', params },
    }),
  );
  clients.push(client);
  await next(client.connection, 'connected', 'pusher-js to connect');
  return client;
}

/** Subscribes and waits for `pusher:subscription_succeeded`. */
async function subscribe(client, name) {
  const channel = client.subscribe(name);
  const failed = next(channel, 'pusher:subscription_error', `error on ${name}`).then(([e]) => {
    throw new Error(`subscription to ${name} failed: ${JSON.stringify(e)}`);
  });
  await Promise.race([next(channel, 'pusher:subscription_succeeded', `subscribed to ${name}`), failed]);
  failed.catch(() => {});
  return channel;
}

/** Signs `client` in through the library-built endpoint and waits for the outcome. */
async function signin(client) {
  client.signin();
  await within(client.user.signinDonePromise, 'sign-in');
  assert.ok(client.user.user_data, 'signed in');
}

test('trigger reaches pusher-js, and info reports subscription and user counts', async () => {
  const a = await connected();
  const b = await connected();
  const aOrders = await subscribe(a, 'orders');
  const bOrders = await subscribe(b, 'orders');
  const got = next(aOrders, 'placed', 'placed on orders');
  const res = await lib.trigger('orders', 'placed', { id: 7 }, { info: 'subscription_count' });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { channels: { orders: { subscription_count: 2 } } });
  assert.deepEqual((await got)[0], { id: 7 });

  // socket_id excludes the sender; a later event on the same connection is the barrier.
  const bSeen = record(bOrders, 'echo');
  const aGot = next(aOrders, 'echo', 'echo on a');
  await lib.trigger('orders', 'echo', { n: 1 }, { socket_id: b.connection.socket_id });
  await aGot;
  const barrier = next(bOrders, 'barrier', 'barrier on b');
  await lib.trigger(['orders', 'elsewhere'], 'barrier', {});
  await barrier;
  assert.equal(bSeen.length, 0, 'the excluded socket got nothing');
});

test('triggerBatch delivers every event and reports info per event', async () => {
  const alice = await connected({ id: 'alice', name: 'Alice' });
  const room = await subscribe(alice, 'presence-batch');
  const news = await subscribe(alice, 'news');
  const one = next(news, 'one', 'one on news');
  const two = next(room, 'two', 'two on presence-batch');
  const res = await lib.triggerBatch([
    { channel: 'news', name: 'one', data: { n: 1 } },
    { channel: 'presence-batch', name: 'two', data: { n: 2 }, info: 'user_count,subscription_count' },
  ]);
  assert.deepEqual(await res.json(), { batch: [{}, { user_count: 1, subscription_count: 1 }] });
  assert.deepEqual((await one)[0], { n: 1 });
  assert.deepEqual((await two)[0], { n: 2 });
});

test('private and presence channels authorized by the library; channels and users queried', async () => {
  const alice1 = await connected({ id: 'alice', name: 'Alice' });
  const alice2 = await connected({ id: 'alice', name: 'Alice' });
  const bob = await connected({ id: 'bob', name: 'Bob' });
  const priv = await subscribe(bob, 'private-lib');
  const room = await subscribe(alice1, 'presence-lib');
  await subscribe(alice2, 'presence-lib');
  const bobArrives = next(room, 'pusher:member_added', 'member_added for bob');
  await subscribe(bob, 'presence-lib');
  await bobArrives;
  assert.equal(room.members.count, 2);
  assert.deepEqual(room.members.get('bob'), { id: 'bob', info: { name: 'Bob' } });
  const got = next(priv, 'hello', 'hello on private-lib');
  await lib.trigger('private-lib', 'hello', 'plain');
  assert.equal((await got)[0], 'plain');

  const list = await lib.get({ path: '/channels', params: { filter_by_prefix: 'presence-lib', info: 'user_count' } });
  assert.deepEqual(await list.json(), { channels: { 'presence-lib': { user_count: 2 } } });
  const one = await lib.get({ path: '/channels/presence-lib', params: { info: 'user_count,subscription_count' } });
  assert.deepEqual(await one.json(), { occupied: true, user_count: 2, subscription_count: 3 });
  const users = await lib.get({ path: '/channels/presence-lib/users' });
  const ids = (await users.json()).users.map((u) => u.id).sort();
  assert.deepEqual(ids, ['alice', 'bob']);
  const empty = await lib.get({ path: '/channels/nobody-here' });
  assert.deepEqual(await empty.json(), { occupied: false });
  await assert.rejects(lib.get({ path: '/channels', params: { info: 'user_count' } }), (e) => e.status === 400);
  await assert.rejects(lib.get({ path: '/channels/private-lib/users' }), (e) => e.status === 400);
});

test('a user signed in with authenticateUser receives sendToUser events on every connection', async () => {
  const first = await connected({ id: 'carol' });
  const second = await connected({ id: 'carol' });
  const other = await connected({ id: 'dave' });
  for (const c of [first, second, other]) await signin(c);
  assert.equal(first.user.user_data.id, 'carol');
  // pusher-js subscribes to its own #server-to-user- channel; the server confirms it.
  await until(() => first.user.serverToUserChannel?.subscribed, 'the server-to-user channel to be confirmed');
  const daveSeen = record(other.user, 'note');
  const got = [first, second].map((c) => next(c.user, 'note', 'note for carol'));
  await lib.sendToUser('carol', 'note', { n: 1 });
  for (const [data] of await Promise.all(got)) assert.deepEqual(data, { n: 1 });
  const barrier = next(other.user, 'note-for-dave', 'note for dave');
  await lib.sendToUser('dave', 'note-for-dave', {});
  await barrier;
  assert.equal(daveSeen.length, 0, 'only carol got her note');
});

test('terminateUserConnections closes the user\'s connections with 4009', async () => {
  const erin = await connected({ id: 'erin' });
  const bystander = await connected({ id: 'frank' });
  await signin(erin);
  await signin(bystander);
  const errors = record(erin.connection, 'error');
  const disconnected = next(erin.connection, 'disconnected', 'erin to be disconnected');
  const res = await lib.terminateUserConnections('erin');
  assert.deepEqual(await res.json(), {});
  await disconnected;
  assert.ok(
    errors.some(([e]) => e?.data?.code === 4009),
    `a 4009 error reached pusher-js: ${JSON.stringify(errors)}`,
  );
  assert.equal(bystander.connection.state, 'connected');
});

test('watchlist: a signed-in user hears when watched users come online and go offline', async () => {
  const gina = await connected({ id: 'gina', watchlist: ['hank', 'ivy'] });
  const online = record(gina.user.watchlist, 'online');
  const offline = record(gina.user.watchlist, 'offline');
  await signin(gina);
  const hank = await connected({ id: 'hank' });
  await signin(hank);
  await until(() => online.some(([e]) => e.user_ids.includes('hank')), 'hank online for gina');
  hank.disconnect();
  await until(() => offline.some(([e]) => e.user_ids.includes('hank')), 'hank offline for gina');
  assert.ok(!online.some(([e]) => e.user_ids.includes('ivy')), 'ivy never came online');
});

test('an encrypted channel round trip: the library encrypts, pusher-js decrypts', async () => {
  const client = await connected();
  const vault = await subscribe(client, 'private-encrypted-vault');
  const got = next(vault, 'secret', 'secret on private-encrypted-vault');
  await lib.trigger('private-encrypted-vault', 'secret', { msg: 'only the clients can read this' });
  assert.deepEqual((await got)[0], { msg: 'only the clients can read this' });
  const asked = auth.requests.filter((r) => r.form.channel_name === 'private-encrypted-vault');
  assert.equal(asked.length, 1);
});

test('a wrong secret, an unknown app and oversized data are refused with Pusher\'s statuses', async () => {
  await assert.rejects(library({ secret: 'lsk_wrong' }).trigger('c', 'e', {}), (e) => e.status === 401);
  await assert.rejects(library({ appId: '999' }).trigger('c', 'e', {}), (e) => e.status === 404);
  await assert.rejects(lib.trigger('c', 'e', 'x'.repeat(10 * 1024 + 1)), (e) => e.status === 413);
});
