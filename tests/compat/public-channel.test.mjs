// 2. Public channels: subscribe, a REST trigger reaches every subscriber with the object payload,
//    and `triggered` counts the subscribed connections. 6. Unsubscribe stops delivery.

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

test('subscribe, trigger over REST, every subscriber receives the object payload', async () => {
  const clients = [await env.connectedClient(), await env.connectedClient(), await env.connectedClient()];
  const channels = [];
  for (const c of clients) {
    const [channel] = await env.subscribe(c, 'news');
    channels.push(channel);
  }
  const payload = { text: 'Hello!', n: 42, nested: { ok: true, list: [1, 'two'] }, unicode: 'café ☕' };
  const received = channels.map((ch) => next(ch, 'new-message', 'new-message on news'));
  const reply = await env.server.trigger({ channels: ['news'], event: 'new-message', data: payload });
  assert.deepEqual(reply, { channels: ['news'], event: 'new-message', triggered: 3 });
  for (const r of await Promise.all(received)) {
    assert.deepEqual(r[0], payload);
  }
});

test('an event on one channel does not reach subscribers of another', async () => {
  const a = await env.connectedClient();
  const b = await env.connectedClient();
  const [chA] = await env.subscribe(a, 'room-a');
  const [chB] = await env.subscribe(b, 'room-b');
  const onB = record(chB, 'ping');
  const gotA = next(chA, 'ping', 'ping on room-a');
  const reply = await env.server.trigger({ channels: ['room-a'], event: 'ping', data: { to: 'a' } });
  assert.equal(reply.triggered, 1);
  assert.deepEqual((await gotA)[0], { to: 'a' });
  // Barrier: an event on room-b after the first; once b has it, the first would have arrived before.
  const marker = next(chB, 'marker', 'marker on room-b');
  await env.server.trigger({ channels: ['room-b'], event: 'marker', data: {} });
  await marker;
  assert.equal(onB.length, 0, 'room-b subscriber received an event of room-a');
});

test('one trigger to several channels counts each subscribed connection', async () => {
  const a = await env.connectedClient();
  const b = await env.connectedClient();
  const [a1] = await env.subscribe(a, 'multi-1');
  const [a2] = await env.subscribe(a, 'multi-2');
  const [b1] = await env.subscribe(b, 'multi-1');
  const got = [a1, a2, b1].map((ch) => next(ch, 'multi', `multi on ${ch.name}`));
  const reply = await env.server.trigger({ channels: ['multi-1', 'multi-2'], event: 'multi', data: { x: 1 } });
  assert.deepEqual(reply.channels, ['multi-1', 'multi-2']);
  assert.equal(reply.triggered, 3);
  for (const [data] of await Promise.all(got)) assert.deepEqual(data, { x: 1 });
});

test('unsubscribe stops delivery; triggered is 0 once no one is subscribed', async () => {
  const a = await env.connectedClient();
  const b = await env.connectedClient();
  const [chA] = await env.subscribe(a, 'leaving');
  const [chB] = await env.subscribe(b, 'leaving');
  const onA = record(chA, 'after-unsubscribe');

  assert.equal((await env.server.trigger({ channels: ['leaving'], event: 'before', data: {} })).triggered, 2);

  a.unsubscribe('leaving');
  // Barrier: the server handles a connection's frames in order, so once a later subscription of the same
  // client succeeded, its unsubscribe has been handled.
  const [barrierA] = await env.subscribe(a, 'barrier-a');
  const gotB = next(chB, 'after-unsubscribe', 'after-unsubscribe on b');
  assert.equal(
    (await env.server.trigger({ channels: ['leaving'], event: 'after-unsubscribe', data: { n: 1 } })).triggered,
    1,
  );
  assert.deepEqual((await gotB)[0], { n: 1 });

  b.unsubscribe('leaving');
  await env.subscribe(b, 'barrier-b');
  assert.equal(
    (await env.server.trigger({ channels: ['leaving'], event: 'after-unsubscribe', data: { n: 2 } })).triggered,
    0,
  );

  // a saw neither event: a later event on its barrier channel arrives after anything sent before it.
  const marker = next(barrierA, 'marker', 'marker on barrier-a');
  await env.server.trigger({ channels: ['barrier-a'], event: 'marker', data: {} });
  await marker;
  assert.equal(onA.length, 0, 'an unsubscribed client still received events');
});
