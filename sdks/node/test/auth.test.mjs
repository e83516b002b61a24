// Channel authorization (local) and webhook signatures, checked against HMACs computed here.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';

import { LatteStreamServer, verifyWebhookSignature } from '../dist/index.js';

const KEY = 'lsk_auth_test';
const server = new LatteStreamServer(KEY, { wsEndpoint: '127.0.0.1:1', useTLS: false });
const hmac = (key, text) => createHmac('sha256', key).update(text).digest('hex');

test('a private channel gets SOCKET_ID:HMAC(socket_id:channel) and no channel_data', () => {
  const auth = server.authorizeChannel('123.456', 'private-user-123');
  assert.deepEqual(auth, { auth: `123.456:${hmac(KEY, '123.456:private-user-123')}` });
  assert.equal(JSON.stringify(auth).includes('channel_data'), false);
});

test('a presence channel returns channel_data, the exact string it signed', () => {
  const member = { user_id: 'user123', user_info: { name: 'Alice' } };
  const auth = server.authorizeChannel('123.456', 'presence-room-1', member);
  assert.equal(auth.channel_data, JSON.stringify(member));
  assert.equal(auth.auth, `123.456:${hmac(KEY, `123.456:presence-room-1:${auth.channel_data}`)}`);
  assert.deepEqual(Object.keys(auth), ['auth', 'channel_data']);
});

test('member data given as a string is signed as is; a numeric user_id is accepted', () => {
  const text = '{"user_info":{"b":1,"a":2},"user_id":7}';
  const auth = server.authorizeChannel('1.2', 'presence-x', text);
  assert.equal(auth.channel_data, text);
  assert.equal(auth.auth, `1.2:${hmac(KEY, `1.2:presence-x:${text}`)}`);
});

test('bad input is refused with the documented codes', () => {
  const cases = [
    [() => server.authorizeChannel('123', 'private-a'), 'INVALID_SOCKET_ID'],
    [() => server.authorizeChannel('1.2', 'public-room'), 'INVALID_CHANNEL'],
    [() => server.authorizeChannel('1.2', 'private-a b'), 'INVALID_CHANNEL'],
    [() => server.authorizeChannel('1.2', 'presence-a'), 'MISSING_USER_ID'],
    [() => server.authorizeChannel('1.2', 'presence-a', { user_id: '' }), 'MISSING_USER_ID'],
    [() => server.authorizeChannel('1.2', 'presence-a', 'not json'), 'MISSING_USER_ID'],
  ];
  for (const [call, code] of cases) assert.throws(call, { code });
});

test('webhook signatures verify over the raw body, in either hex case, and nothing else', () => {
  const body = '{"time_ms":1,"events":[{"name":"channel_occupied","channel":"a"}]}';
  const sig = hmac('whsec', body);
  assert.equal(verifyWebhookSignature(body, sig, 'whsec'), true);
  assert.equal(verifyWebhookSignature(Buffer.from(body), sig.toUpperCase(), 'whsec'), true);
  assert.equal(verifyWebhookSignature(body + ' ', sig, 'whsec'), false);
  assert.equal(verifyWebhookSignature(body, sig, 'other'), false);
  assert.equal(verifyWebhookSignature(body, sig.slice(2), 'whsec'), false);
  assert.equal(verifyWebhookSignature(body, 'zz' + sig.slice(2), 'whsec'), false);
  assert.equal(verifyWebhookSignature(body, undefined, 'whsec'), false);
});

test('the method defaults the secret to the private key (X-Pusher-Signature)', () => {
  const body = '{"events":[]}';
  assert.equal(server.verifyWebhookSignature(body, hmac(KEY, body)), true);
  assert.equal(server.verifyWebhookSignature(body, hmac(KEY, body), 'endpoint-secret'), false);
});
