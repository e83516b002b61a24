// 4. Presence channels, counted per user: user A on two connections, user B on one. Members lists,
//    `pusher:member_added` once per user (not per connection), `pusher:member_removed` only when the
//    user's last connection leaves.

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

const ALICE = { id: 'alice', name: 'Alice' };
const BOB = { id: 'bob', name: 'Bob' };

function membersOf(channel) {
  const list = [];
  channel.members.each((m) => list.push({ id: m.id, info: m.info }));
  return list.sort((x, y) => x.id.localeCompare(y.id));
}

/** Waits until everything the server queued for `channel`'s client so far has arrived. */
async function drain(channel) {
  const marker = next(channel, 'compat-marker', `marker on ${channel.name}`);
  await env.server.trigger({ channels: [channel.name], event: 'compat-marker', data: {} });
  await marker;
}

test('presence: members per user, member_added once per user, member_removed on the last connection', async () => {
  const room = 'presence-room';
  const bob = await env.connectedClient({ user: BOB });
  const [bobCh, bobMembers] = await env.subscribe(bob, room);
  assert.equal(bobMembers, bobCh.members, 'subscription_succeeded passes the members object');
  assert.equal(bobCh.members.count, 1);
  assert.deepEqual(bobCh.members.me, { id: 'bob', info: { name: 'Bob' } });
  assert.deepEqual(membersOf(bobCh), [{ id: 'bob', info: { name: 'Bob' } }]);
  const bobAdded = record(bobCh, 'pusher:member_added');
  const bobRemoved = record(bobCh, 'pusher:member_removed');

  // Alice's first connection: Bob sees her arrive.
  const alice1 = await env.connectedClient({ user: ALICE });
  const added = next(bobCh, 'pusher:member_added', 'member_added for alice on bob');
  const [a1Ch] = await env.subscribe(alice1, room);
  const [member] = await added;
  assert.deepEqual(member, { id: 'alice', info: { name: 'Alice' } });
  assert.equal(a1Ch.members.count, 2);
  assert.deepEqual(a1Ch.members.me, { id: 'alice', info: { name: 'Alice' } });
  assert.deepEqual(membersOf(a1Ch), [
    { id: 'alice', info: { name: 'Alice' } },
    { id: 'bob', info: { name: 'Bob' } },
  ]);
  assert.equal(bobCh.members.count, 2);
  assert.deepEqual(bobCh.members.get('alice'), { id: 'alice', info: { name: 'Alice' } });
  const a1Added = record(a1Ch, 'pusher:member_added');
  const a1Removed = record(a1Ch, 'pusher:member_removed');

  // Alice's second connection: two members still, and no second member_added for anyone.
  const alice2 = await env.connectedClient({ user: ALICE });
  const [a2Ch] = await env.subscribe(alice2, room);
  assert.equal(a2Ch.members.count, 2);
  assert.equal(a2Ch.members.me.id, 'alice');
  assert.deepEqual(membersOf(a2Ch), membersOf(a1Ch));
  const a2Removed = record(a2Ch, 'pusher:member_removed');
  await drain(bobCh);
  await drain(a1Ch);
  assert.equal(bobAdded.length, 1, `member_added on bob: ${JSON.stringify(bobAdded)}`);
  assert.equal(a1Added.length, 0, `member_added on alice's first connection: ${JSON.stringify(a1Added)}`);
  assert.equal(bobCh.members.count, 2);

  // Alice's first connection leaves: she is still present through the second.
  await env.disconnect(alice1);
  await drain(bobCh);
  await drain(a2Ch);
  assert.equal(bobRemoved.length, 0, `member_removed after alice's first of two connections left: ${JSON.stringify(bobRemoved)}`);
  assert.equal(a2Removed.length, 0);
  assert.equal(bobCh.members.count, 2);

  // Her last connection leaves: Bob sees her go.
  const removed = next(bobCh, 'pusher:member_removed', 'member_removed for alice on bob');
  await env.disconnect(alice2);
  const [gone] = await removed;
  assert.deepEqual(gone, { id: 'alice', info: { name: 'Alice' } });
  assert.equal(bobCh.members.count, 1);
  assert.deepEqual(membersOf(bobCh), [{ id: 'bob', info: { name: 'Bob' } }]);
  await drain(bobCh);
  assert.equal(bobRemoved.length, 1);
  assert.equal(a1Removed.length, 0);
});

test('presence: a newcomer sees every present user once, and unsubscribing counts like leaving', async () => {
  const room = 'presence-lobby';
  const a1 = await env.connectedClient({ user: ALICE });
  const a2 = await env.connectedClient({ user: ALICE });
  const b = await env.connectedClient({ user: BOB });
  await env.subscribe(a1, room);
  const [a2Ch] = await env.subscribe(a2, room);
  const carol = await env.connectedClient({ user: { id: 'carol', name: 'Carol' } });
  const [carolCh] = await env.subscribe(carol, room);
  assert.equal(carolCh.members.count, 2);
  assert.deepEqual(membersOf(carolCh).map((m) => m.id), ['alice', 'carol']);

  const carolAdded = record(carolCh, 'pusher:member_added');
  const carolRemoved = record(carolCh, 'pusher:member_removed');
  const bobArrives = next(carolCh, 'pusher:member_added', 'member_added for bob on carol');
  await env.subscribe(b, room);
  assert.equal((await bobArrives)[0].id, 'bob');

  a1.unsubscribe(room);
  await env.subscribe(a1, 'private-barrier'); // frames of one connection are handled in order
  await drain(carolCh);
  assert.equal(carolRemoved.length, 0, 'alice left while still present on another connection');
  assert.equal(carolCh.members.count, 3);

  const aliceGoes = next(carolCh, 'pusher:member_removed', 'member_removed for alice on carol');
  a2Ch.unsubscribe();
  assert.equal((await aliceGoes)[0].id, 'alice');
  assert.equal(carolCh.members.count, 2);
  await drain(carolCh);
  assert.equal(carolAdded.length, 1);
  assert.equal(carolRemoved.length, 1);
});
