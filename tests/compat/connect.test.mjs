// 1. pusher-js connects over protocol 7 and learns a socket id.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startEnv, next } from './helpers.mjs';

let env;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env?.close();
});

test('pusher-js connects and gets a socket id', async () => {
  const pusher = env.client();
  await next(pusher.connection, 'connected', 'pusher-js to connect');
  assert.equal(pusher.connection.state, 'connected');
  assert.match(pusher.connection.socket_id, /^\d+\.\d+$/);
});

test('two clients get distinct socket ids', async () => {
  const a = await env.connectedClient();
  const b = await env.connectedClient();
  assert.match(a.connection.socket_id, /^\d+\.\d+$/);
  assert.match(b.connection.socket_id, /^\d+\.\d+$/);
  assert.notEqual(a.connection.socket_id, b.connection.socket_id);
});

test('a disconnected client reaches the disconnected state and the server closes its side', async () => {
  const pusher = await env.connectedClient();
  const disconnected = next(pusher.connection, 'disconnected', 'the disconnected state');
  await env.disconnect(pusher);
  await disconnected;
  assert.equal(pusher.connection.state, 'disconnected');
});
