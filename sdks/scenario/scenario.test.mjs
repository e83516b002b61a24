// The shared scenario, run against every server SDK (LATTESTREAM_SDKS=node,python,php,go,rust picks
// some): a real server, the docs' example as written with LATTESTREAM_URL pointing at it, live
// subscribers in both dialects, channel authorizations for their real socket ids, queries, tokens,
// webhook signatures, typed errors, and a 429 with its retry.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import Pusher from 'pusher-js';

import { clientOptions, startServer } from '../../tests/compat/server.mjs';
import { runToEnd, startAgent } from './agent.mjs';
import { SDKS } from './sdks.mjs';
import { connect, WAIT_MS } from './subscriber.mjs';

/** The docs' placeholder is the test app's private key, so the example runs byte for byte as written. */
const DOCS_KEY = 'lsk_your_private_key';
const PUBLIC_KEY = 'lspk_docs_example';
const LIMITED_KEY = 'lsk_limited_secret';
const LIMITED_PUBLIC_KEY = 'lspk_limited';

const CONFIG = `
[[apps]]
id = "1"
key = "${PUBLIC_KEY}"
secret = "${DOCS_KEY}"
[apps.rate_limits]
enabled = false

[[apps]]
id = "2"
key = "${LIMITED_PUBLIC_KEY}"
secret = "${LIMITED_KEY}"
[apps.rate_limits]
events = { per_minute = 1000, per_second = 1 }
`;

const languages = (process.env.LATTESTREAM_SDKS ?? Object.keys(SDKS).join(',')).split(',');

for (const language of languages) {
  describe(`${language} SDK`, () => scenario(language, SDKS[language]));
}

function scenario(language, spec) {
  let scratch, server, agent, env;
  const clients = [];
  const subscriber = async (credential = PUBLIC_KEY) => {
    const c = await connect(server.base, credential);
    clients.push(c);
    return c;
  };
  const call = (op, fields) => agent.call(op, { key: DOCS_KEY, ...fields });

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), `ls-sdk-${language}-`));
    const commands = spec.prepare(scratch);
    server = await startServer({ configToml: CONFIG });
    env = { ...process.env, LATTESTREAM_URL: server.base };
    spec.commands = commands;
    agent = startAgent(commands.agent, env);
  });

  after(async () => {
    for (const c of clients) c.close();
    await agent?.stop();
    await server?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test("the README shows the docs' example that this scenario runs", () => {
    const readme = readFileSync(spec.readme, 'utf8');
    assert.ok(readme.includes(readFileSync(spec.example, 'utf8').trim()), `README.md must contain ${spec.example}`);
  });

  test("the docs' example, as written, reaches a live subscriber through LATTESTREAM_URL", async () => {
    const live = await subscriber();
    for (const channel of new Set(spec.publishes.map(([c]) => c))) await live.subscribe(channel);
    await runToEnd(spec.commands.example, env);
    for (const [channel, event, fields] of spec.publishes) {
      const data = await live.event(channel, event);
      for (const [k, v] of Object.entries(fields)) assert.deepEqual(data[k], v, `${channel} ${event} ${k}`);
    }
    const chat = await live.event('chat-room-1', 'new-message');
    assert.equal(typeof chat.timestamp, 'number');
    assert.equal(await call('base_url').then((r) => r.base_url), server.base);
  });

  test('a trigger to several channels excludes the given socket and reaches the others', async () => {
    const [a, b] = [await subscriber(), await subscriber()];
    for (const c of [a, b]) for (const ch of ['excl-1', 'excl-2']) await c.subscribe(ch);
    const result = await call('trigger', { channels: ['excl-1', 'excl-2'], event: 'only-a', data: { n: 1 }, socket_id: b.socketId });
    assert.deepEqual(result.channels, ['excl-1', 'excl-2']);
    assert.equal(result.triggered, 2);
    assert.deepEqual(await a.event('excl-1', 'only-a'), { n: 1 });
    assert.deepEqual(await a.event('excl-2', 'only-a'), { n: 1 });
    // Signed requests (every SDK signs) may name up to 100 channels: 11 is past the unsigned limit of 10.
    const eleven = ['excl-1', ...Array.from({ length: 10 }, (_, i) => `wide-${i}`)];
    assert.equal((await call('trigger', { channels: eleven, event: 'wide', data: {} })).channels.length, 11);
    await call('trigger', { channels: ['excl-1'], event: 'barrier', data: {} });
    await b.event('excl-1', 'barrier');
    assert.equal(b.frames.some((f) => f.event === 'only-a'), false, 'the excluded socket got the event');
  });

  test('a batch reaches each entry’s channel, and its counts come back', async () => {
    const live = await subscriber();
    await live.subscribe('batch-a');
    await live.subscribe('batch-b');
    const result = await call('batch_trigger', {
      batch: [
        { channel: 'batch-a', event: 'one', data: { i: 1 } },
        { channel: 'batch-b', event: 'two', data: { i: 2 } },
      ],
    });
    assert.equal(result.total_events, 2);
    assert.equal(result.total_triggered, 2);
    assert.match(result.batch_id, /^\d{19}$/);
    assert.deepEqual(await live.event('batch-a', 'one'), { i: 1 });
    assert.deepEqual(await live.event('batch-b', 'two'), { i: 2 });
  });

  test('private and presence authorizations for a real socket id let the subscriber join', async () => {
    const live = await subscriber();
    const priv = await call('authorize', { socket_id: live.socketId, channel: 'private-user-123' });
    assert.deepEqual(Object.keys(priv), ['auth']);
    await live.subscribe('private-user-123', priv);

    const member = { user_id: 'user123', user_info: { name: 'Alice' } };
    const presence = await call('authorize', { socket_id: live.socketId, channel: 'presence-room-1', presence: member });
    assert.deepEqual(Object.keys(presence).sort(), ['auth', 'channel_data']);
    assert.equal(typeof presence.channel_data, 'string');
    assert.deepEqual(JSON.parse(presence.channel_data), member);
    const joined = await live.subscribe('presence-room-1', presence);
    assert.deepEqual(joined.presence.hash, { user123: { name: 'Alice' } });

    const other = await subscriber();
    await assert.rejects(other.subscribe('private-user-123', priv), (e) => e.data?.status === 401);

    await call('trigger', { channels: ['private-user-123'], event: 'secret', data: { ok: true } });
    assert.deepEqual(await live.event('private-user-123', 'secret'), { ok: true });
  });

  test('pusher-js joins a presence channel with the authorization passed on as is', async () => {
    const bob = { user_id: 'bob', user_info: { name: 'Bob' } };
    const customHandler = ({ socketId, channelName }, callback) => {
      call('authorize', { socket_id: socketId, channel: channelName, presence: bob }).then(
        (auth) => callback(null, auth),
        (err) => callback(err, null),
      );
    };
    const pusher = new Pusher(PUBLIC_KEY, clientOptions(server, { channelAuthorization: { customHandler } }));
    try {
      const channel = pusher.subscribe('presence-pusher-room');
      const members = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no subscription_succeeded')), WAIT_MS);
        channel.bind('pusher:subscription_succeeded', (m) => (clearTimeout(timer), resolve(m)));
        channel.bind('pusher:subscription_error', (e) => (clearTimeout(timer), reject(new Error(JSON.stringify(e)))));
      });
      assert.equal(members.me.id, 'bob');
      assert.deepEqual(members.me.info, { name: 'Bob' });
    } finally {
      pusher.disconnect();
    }
  });

  test('channel and user queries see the live subscribers', async () => {
    const live = await subscriber();
    const member = { user_id: 'carol', user_info: { name: 'Carol' } };
    await live.subscribe('presence-query', await call('authorize', { socket_id: live.socketId, channel: 'presence-query', presence: member }));
    await live.subscribe('query-public');

    const list = await call('channels', { prefix: 'presence-query' });
    assert.equal(list.total_channels, 1);
    assert.equal(list.channels[0].channel, 'presence-query');
    assert.equal(list.channels[0].member_count, 1);
    assert.deepEqual(list.channels[0].members[0], { user_id: 'carol', user_info: { name: 'Carol' }, socket_id: live.socketId });

    const info = await call('channel', { name: 'query-public' });
    assert.equal(info.occupied, true);
    assert.equal(info.member_count, 1);
    assert.equal(info.subscription_count, 1);
    const presence = await call('channel', { name: 'presence-query' });
    assert.deepEqual([presence.member_count, presence.user_count], [1, 1]);
    const quiet = await call('channel', { name: 'nobody-here' });
    assert.equal(quiet.occupied, false);

    const users = await call('users', { name: 'presence-query' });
    assert.deepEqual(users.users, [{ id: 'carol', user_info: { name: 'Carol' } }]);
  });

  test("an access token connects as its user, and terminating the user closes that connection", async () => {
    const token = await call('token', { user_id: `user-${language}`, permissions: ['read'], expires_in: 600 });
    assert.equal(token.token_type, 'Bearer');
    assert.equal(token.expires_in, 600);
    assert.equal(token.tenant_id, '1');
    const live = await subscriber(token.access_token);
    await live.subscribe('token-room');
    const closed = live.closed();
    assert.deepEqual(await call('terminate', { user_id: `user-${language}` }), { terminated: 1 });
    assert.equal(await closed, 4009);
  });

  test('a webhook signature verifies over the raw body and nothing else', async () => {
    const body = `{"time_ms":${Date.now()},"events":[{"name":"channel_occupied","channel":"chat-room-1"}]}`;
    const secret = 'whsec_scenario';
    const signature = createHmac('sha256', secret).update(body).digest('hex');
    const verify = (fields) => call('verify_webhook', { body, signature, secret, ...fields }).then((r) => r.valid);
    assert.equal(await verify({}), true);
    assert.equal(await verify({ signature: signature.toUpperCase() }), true);
    assert.equal(await verify({ body: body.replace('chat-room-1', 'chat-room-2') }), false);
    assert.equal(await verify({ secret: 'whsec_other' }), false);
    assert.equal(await verify({ signature: 'not-hex' }), false);
  });

  test('errors carry the documented code: from the server, and from local checks', async () => {
    await assert.rejects(call('trigger', { channels: ['bad channel'], event: 'e', data: {} }), {
      type: 'ApiError',
      code: 'INVALID_CHANNEL',
      status: 400,
    });
    await assert.rejects(call('trigger', { key: 'lsk_nobody', channels: ['a'], event: 'e', data: {} }), {
      code: 'INVALID_API_KEY',
      status: 401,
    });
    await assert.rejects(call('authorize', { socket_id: 'nope', channel: 'private-a' }), {
      type: 'ValidationError',
      code: 'INVALID_SOCKET_ID',
    });
  });

  test('a 429 is a RateLimitError with Retry-After, and with retries the same burst goes through', async () => {
    const limited = (maxRetries, n) => call('trigger', { key: LIMITED_KEY, max_retries: maxRetries, channels: ['rl'], event: `e${n}`, data: {} });
    await limited(0, 1).catch(() => {});
    const err = await limited(0, 2).then(
      () => assert.fail('the second trigger within a second of a 1/s budget was accepted'),
      (e) => e,
    );
    assert.equal(err.type, 'RateLimitError');
    assert.equal(err.code, 'RATE_LIMIT_EXCEEDED');
    assert.equal(err.status, 429);
    assert.ok(err.retry_after >= 1, `retry_after ${err.retry_after}`);
    // The budget is spent: back to back, the next two can only succeed by waiting as told.
    const live = await subscriber(LIMITED_PUBLIC_KEY);
    await live.subscribe('rl');
    assert.equal((await limited(3, 3)).triggered, 1);
    assert.equal((await limited(3, 4)).triggered, 1);
    await live.event('rl', 'e4');
  });
}
