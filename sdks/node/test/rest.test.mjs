// What each REST method sends and how it reads the answer, against the recording fake server.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { KEY, useFake } from './fake-server.mjs';

const fake = useFake();
const { replies, client, last } = fake;

test('trigger sends channels as an array, data as given, and the socket to exclude', async () => {
  replies.push({ body: { channels: ['a', 'b'], event: 'e', triggered: 3 } });
  const result = await client().trigger(['a', 'b'], 'e', { n: 1 }, { socketId: '1.2' });
  assert.deepEqual(result, { channels: ['a', 'b'], event: 'e', triggered: 3 });
  const req = last();
  assert.equal(req.method, 'POST');
  assert.equal(req.target, '/events');
  assert.deepEqual(req.json, { channels: ['a', 'b'], event: 'e', data: { n: 1 }, socket_id: '1.2' });
  assert.equal(req.headers.authorization, `Bearer ${KEY}`);
  assert.equal(req.headers['content-type'], 'application/json');
  assert.equal(req.signatureValid, true);
});

test('one channel is sent as a one-element array; a string payload passes unchanged', async () => {
  await client().trigger('chat', 'e', 'plain text');
  assert.deepEqual(last().json, { channels: ['chat'], event: 'e', data: 'plain text' });
  await assert.rejects(client().trigger([], 'e', {}), { code: 'MISSING_PARAMETER' });
});

test('batchTrigger takes event or name, splits multi-channel entries and keeps batch_id exact', async () => {
  replies.push({ body: '{"batch_id":1674123456789123456,"total_events":3,"total_triggered":2}' });
  const result = await client().batchTrigger([
    { channel: 'user-123', event: 'notification', data: { type: 'message' } },
    { channel: ['a', 'b'], name: 'n', data: 1, socketId: '9.9' },
  ]);
  assert.deepEqual(result, { batchId: '1674123456789123456', totalEvents: 3, totalTriggered: 2 });
  assert.deepEqual(last().json, {
    batch: [
      { channel: 'user-123', name: 'notification', data: { type: 'message' } },
      { channel: 'a', name: 'n', data: 1, socket_id: '9.9' },
      { channel: 'b', name: 'n', data: 1, socket_id: '9.9' },
    ],
  });
  assert.equal(last().signatureValid, true);
  await assert.rejects(client().batchTrigger([{ channel: 'a' }]), { code: 'MISSING_PARAMETER' });
});

test('createAccessToken posts the user as socket_id and reads the token', async () => {
  replies.push({ body: { access_token: 'eyJ.x.y', token_type: 'Bearer', expires_in: 60, tenant_id: '1' } });
  const token = await client().createAccessToken('user_123', { permissions: ['read'], expiresIn: 60 });
  assert.deepEqual(token, { accessToken: 'eyJ.x.y', tokenType: 'Bearer', expiresIn: 60, tenantId: '1' });
  assert.equal(last().target, '/apps/token');
  assert.deepEqual(last().json, { socket_id: 'user_123', permissions: ['read'], expires_in: 60 });
});

test('channel queries encode names, sign path and query, and map the fields', async () => {
  replies.push({
    body: {
      channels: [{ channel: 'presence-a', member_count: 1, members: [{ user_id: 'u', user_info: null, socket_id: '1.2' }] }],
      total_channels: 1,
    },
  });
  const list = await client().getChannels({ filterByPrefix: 'presence-' });
  assert.equal(last().target, '/channels?filter_by_prefix=presence-');
  assert.equal(last().method, 'GET');
  assert.equal(last().body, '');
  assert.equal(last().signatureValid, true);
  assert.deepEqual(list, {
    channels: [{ channel: 'presence-a', memberCount: 1, members: [{ userId: 'u', userInfo: null, socketId: '1.2' }] }],
    totalChannels: 1,
  });

  replies.push({ body: { channel: 'a=b', occupied: true, member_count: 2, subscription_count: 2 } });
  const info = await client().getChannelInfo('a=b');
  assert.equal(last().target, '/channels/a%3Db');
  assert.equal(last().signatureValid, true);
  assert.deepEqual(info, { channel: 'a=b', occupied: true, memberCount: 2, subscriptionCount: 2 });

  replies.push({ body: { users: [{ id: 'u1', user_info: { name: 'A' } }, { id: 'u2' }] } });
  const users = await client().getUsers('presence-a');
  assert.equal(last().target, '/channels/presence-a/users');
  assert.deepEqual(users, { users: [{ id: 'u1', userInfo: { name: 'A' } }, { id: 'u2', userInfo: null }] });
});

test('terminateUserConnections posts to the encoded user path', async () => {
  replies.push({ body: { terminated: 2 } });
  assert.deepEqual(await client().terminateUserConnections('user@1'), { terminated: 2 });
  assert.equal(last().target, '/users/user%401/terminate_connections');
  assert.equal(last().signatureValid, true);
  await assert.rejects(client().terminateUserConnections(''), { code: 'MISSING_PARAMETER' });
});
