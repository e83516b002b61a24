// 5. Client events (`channel.trigger('client-…')`): relayed to the channel's other subscribers, never
//    echoed to the sender; on presence channels pusher-js passes `metadata.user_id` from the frame.

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

/** Waits until everything the server queued for `channel`'s client so far has arrived. */
async function drain(channel) {
  const marker = next(channel, 'compat-marker', `marker on ${channel.name}`);
  await env.server.trigger({ channels: [channel.name], event: 'compat-marker', data: {} });
  await marker;
}

test('private channel: the other client receives a client event, the sender does not', async () => {
  const a = await env.connectedClient();
  const b = await env.connectedClient();
  const [chA] = await env.subscribe(a, 'private-chat');
  const [chB] = await env.subscribe(b, 'private-chat');
  const echoed = record(chA, 'client-typing');

  const got = next(chB, 'client-typing', 'client-typing on b');
  assert.equal(chA.trigger('client-typing', { who: 'a', at: [1, 2, 3] }), true);
  const [data, metadata] = await got;
  assert.deepEqual(data, { who: 'a', at: [1, 2, 3] });
  assert.equal(metadata?.user_id, undefined, 'no user_id on a private channel');

  // And back the other way.
  const back = next(chA, 'client-reply', 'client-reply on a');
  const bEchoed = record(chB, 'client-reply');
  chB.trigger('client-reply', { ok: true });
  assert.deepEqual((await back)[0], { ok: true });

  await drain(chA);
  await drain(chB);
  assert.equal(echoed.length, 0, 'the sender received its own client event');
  assert.equal(bEchoed.length, 0, 'the sender received its own client event');
});

test('presence channel: client event carries the sender\'s user_id as metadata; not echoed', async () => {
  const room = 'presence-chat';
  const alice1 = await env.connectedClient({ user: { id: 'alice', name: 'Alice' } });
  const alice2 = await env.connectedClient({ user: { id: 'alice', name: 'Alice' } });
  const bob = await env.connectedClient({ user: { id: 'bob', name: 'Bob' } });
  const [a1] = await env.subscribe(alice1, room);
  const [a2] = await env.subscribe(alice2, room);
  const [b] = await env.subscribe(bob, room);
  const echoed = record(a1, 'client-wave');

  const bobGets = next(b, 'client-wave', 'client-wave on bob');
  // Only the sending connection is left out: the same user's other connection receives it.
  const alice2Gets = next(a2, 'client-wave', "client-wave on alice's second connection");
  a1.trigger('client-wave', { hi: 'there' });
  const [data, metadata] = await bobGets;
  assert.deepEqual(data, { hi: 'there' });
  assert.deepEqual(metadata, { user_id: 'alice' });
  const [data2, metadata2] = await alice2Gets;
  assert.deepEqual(data2, { hi: 'there' });
  assert.deepEqual(metadata2, { user_id: 'alice' });

  const aliceGets = next(a1, 'client-wave-back', 'client-wave-back on alice');
  b.trigger('client-wave-back', { from: 'bob' });
  const [dataBack, metadataBack] = await aliceGets;
  assert.deepEqual(dataBack, { from: 'bob' });
  assert.deepEqual(metadataBack, { user_id: 'bob' });

  await drain(a1);
  assert.equal(echoed.length, 0, 'the sender received its own client event');
});

test('a client event on a public channel is refused with pusher:error and not relayed', async () => {
  const a = await env.connectedClient();
  const b = await env.connectedClient();
  const [chA] = await env.subscribe(a, 'public-chat');
  const [chB] = await env.subscribe(b, 'public-chat');
  const relayed = record(chB, 'client-nope');
  const errored = next(a.connection, 'error', 'pusher:error on the sender');
  chA.trigger('client-nope', { x: 1 });
  const [err] = await errored;
  assert.equal(err.type, 'PusherError', JSON.stringify(err));
  assert.equal(typeof err.data.code, 'number', JSON.stringify(err));
  assert.equal(a.connection.state, 'connected');
  await drain(chB);
  assert.equal(relayed.length, 0, 'a public-channel client event was relayed');
});
