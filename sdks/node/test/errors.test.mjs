// Errors carry the documented code; 429s are retried after Retry-After; concurrent calls are independent.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ApiError, ConnectionError, LatteStreamServer, RateLimitError } from '../dist/index.js';
import { KEY } from './fake-server.mjs';
import { useFake } from './fake-server.mjs';

const fake = useFake();
const { replies, client, last } = fake;

const limited = {
  status: 429,
  headers: { 'Retry-After': '2' },
  body: { error: 'Rate limit exceeded', code: 'RATE_LIMIT_EXCEEDED', retry_after: 2 },
};

test('a documented error body becomes an ApiError with status, code and details', async () => {
  replies.push({ status: 400, body: { error: 'Invalid channel name', code: 'INVALID_CHANNEL', details: { channel: 'a b' } } });
  const err = await client().trigger('a b', 'e', {}).catch((e) => e);
  assert.ok(err instanceof ApiError);
  assert.equal(err.status, 400);
  assert.equal(err.code, 'INVALID_CHANNEL');
  assert.deepEqual(err.details, { channel: 'a b' });
  assert.equal(err.message, 'Invalid channel name');
});

test('an answer that is not the documented body is HTTP_ERROR', async () => {
  replies.push({ status: 502, body: '<html>bad gateway</html>' });
  await assert.rejects(client().getChannels(), (e) => e instanceof ApiError && e.code === 'HTTP_ERROR' && e.status === 502);
});

test('a 429 is retried after Retry-After, each attempt signed anew', async () => {
  const waits = [];
  const sleep = async (ms) => void waits.push(ms);
  const before = fake.requests.length;
  replies.push(limited, limited, { body: { channels: ['a'], event: 'e', triggered: 1 } });
  const result = await client({ sleep }).trigger('a', 'e', {});
  assert.equal(result.triggered, 1);
  assert.deepEqual(waits, [2000, 2000]);
  const attempts = fake.requests.slice(before);
  assert.equal(attempts.length, 3);
  assert.ok(attempts.every((r) => r.signatureValid));
  assert.equal(new Set(attempts.map((r) => r.headers['x-lattestream-nonce'])).size, 3);
});

test('without retries left, the 429 is a RateLimitError with retryAfter', async () => {
  const waits = [];
  replies.push(limited, limited);
  const err = await client({ maxRetries: 1, sleep: async (ms) => void waits.push(ms) })
    .trigger('a', 'e', {})
    .catch((e) => e);
  assert.ok(err instanceof RateLimitError);
  assert.equal(err.code, 'RATE_LIMIT_EXCEEDED');
  assert.equal(err.status, 429);
  assert.equal(err.retryAfter, 2);
  assert.deepEqual(waits, [2000]);
});

test('other errors are not retried', async () => {
  const before = fake.requests.length;
  replies.push({ status: 401, body: { error: 'Invalid API key', code: 'INVALID_API_KEY' } });
  await assert.rejects(client().trigger('a', 'e', {}), { code: 'INVALID_API_KEY' });
  assert.equal(fake.requests.length - before, 1);
});

test('concurrent calls to the same path do not cancel each other', async () => {
  // Whichever call arrives first is held until the second has arrived too; both must then succeed.
  let releaseFirst;
  const held = new Promise((r) => (releaseFirst = r));
  const echo = (req) => ({ body: { channels: ['a'], event: req.json.event, triggered: 1 } });
  replies.push(
    async (req) => {
      await held;
      return echo(req);
    },
    (req) => {
      releaseFirst();
      return echo(req);
    },
  );
  const server = client();
  const [a, b] = await Promise.all([server.trigger('a', 'first', {}), server.trigger('a', 'second', {})]);
  assert.equal(a.event, 'first');
  assert.equal(b.event, 'second');
});

test('an unreachable server is a ConnectionError; a silent one a TIMEOUT', async () => {
  const closed = new LatteStreamServer(KEY, { wsEndpoint: '127.0.0.1:1', useTLS: false });
  await assert.rejects(closed.getChannels(), (e) => e instanceof ConnectionError && e.code === 'CONNECTION_ERROR');
  let release;
  replies.push(() => new Promise((r) => (release = r)));
  await assert.rejects(client({ timeout: 50 }).getChannels(), (e) => e instanceof ConnectionError && e.code === 'TIMEOUT');
  release({ body: {} });
});
