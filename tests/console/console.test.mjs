// The debug console at /console in Debian's headless Chromium (playwright-core), against the real
// server binary, with a real pusher-js client: sign in, see a subscriber and presence members appear,
// trigger from the form and see the event reach the client, see REST-published and client events in
// the stream. CONSOLE_SCREENSHOTS=DIR saves the pages as PNG there (docs/ holds the published ones).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';
import Pusher from 'pusher-js';

import { startServer, APP_ID, APP_KEY, APP_SECRET } from '../compat/server.mjs';

const ADMIN_TOKEN = 'console-test-admin-token';
const WAIT_MS = 10000;
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let server;
let browser;
let profile;
let receiver;
const clients = [];

/** A webhook receiver: `/ok` accepts every request, `/fail` answers 500. */
async function startReceiver() {
  const http = createServer((req, res) => {
    req.resume();
    req.on('end', () => { res.statusCode = req.url === '/ok' ? 200 : 500; res.end(); });
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  return http;
}

/** The test app, with two webhook endpoints on the receiver: one that accepts, one that fails. */
function configWithWebhooks(port) {
  return [
    '[[apps]]', `id = "${APP_ID}"`, `key = "${APP_KEY}"`, `secret = "${APP_SECRET}"`, 'client_events = true',
    '[[apps.webhooks]]', `url = "http://127.0.0.1:${port}/ok"`, 'secret = "console-hook-secret"',
    '[[apps.webhooks]]', `url = "http://127.0.0.1:${port}/fail"`, 'secret = "console-hook-secret"',
    '[apps.rate_limits]', 'enabled = false', '',
  ].join('\n');
}

before(async () => {
  receiver = await startReceiver();
  server = await startServer({
    env: { LATTESTREAM_ADMIN_TOKEN: ADMIN_TOKEN },
    configToml: configWithWebhooks(receiver.address().port),
  });
  profile = mkdtempSync(join(tmpdir(), 'lattestream-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
  });
});

after(async () => {
  clients.forEach((c) => c.disconnect());
  await browser?.close();
  await server?.stop();
  receiver?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** A pusher-js client of the test app; presence channels are authorized here with the private key. */
function client(user) {
  const pusher = new Pusher(APP_KEY, {
    wsHost: '127.0.0.1', wsPort: server.port, forceTLS: false, enabledTransports: ['ws'],
    cluster: 'local', disableStats: true,
    channelAuthorization: {
      customHandler: ({ socketId, channelName }, callback) => {
        const channelData = JSON.stringify({ user_id: user.id, user_info: { name: user.name } });
        const signed = channelName.startsWith('presence-') ? `${socketId}:${channelName}:${channelData}` : `${socketId}:${channelName}`;
        const auth = `${APP_KEY}:${createHmac('sha256', APP_SECRET).update(signed).digest('hex')}`;
        callback(null, channelName.startsWith('presence-') ? { auth, channel_data: channelData } : { auth });
      },
    },
  });
  clients.push(pusher);
  return pusher;
}

/** Resolves with the data of the next `event` on `channel`. */
function nextEvent(channel, event) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${WAIT_MS} ms`)), WAIT_MS);
    channel.bind(event, (data) => { clearTimeout(timer); resolve(data); });
  });
}

async function subscribed(pusher, name) {
  const channel = pusher.subscribe(name);
  await nextEvent(channel, 'pusher:subscription_succeeded');
  return channel;
}

async function signIn(page, credential) {
  await page.goto(`${server.base}/console`);
  await page.fill('#credential', credential);
  await page.click('#sign-in-form button[type=submit]');
}

async function screenshot(page, name) {
  if (process.env.CONSOLE_SCREENSHOTS) {
    await page.screenshot({ path: join(process.env.CONSOLE_SCREENSHOTS, name), fullPage: true });
  }
}

test('a wrong credential is refused with a message', async () => {
  const page = await browser.newPage();
  await signIn(page, 'lsk_not_a_key_of_this_server');
  await page.waitForSelector('#sign-in-error:text("neither a private key")', { timeout: WAIT_MS });
  assert.equal(await page.isVisible('#dashboard'), false);
  await page.fill('#credential', '');
  await screenshot(page, 'console-sign-in.png');
  await page.close();
});

test('signed in with the private key: subscribers, the form reaching a client, REST and client events in the stream', async () => {
  const page = await browser.newPage();
  await signIn(page, APP_SECRET);
  await page.waitForSelector('#live:text("live")', { timeout: WAIT_MS });

  const shopper = client({ id: 'alice', name: 'Alice' });
  const orders = await subscribed(shopper, 'orders');
  await page.waitForSelector('tr[data-channel="orders"] td.num:text("1")', { timeout: WAIT_MS });
  const lobby = await subscribed(shopper, 'presence-lobby');
  await subscribed(client({ id: 'bob', name: 'Bob' }), 'presence-lobby');
  await page.waitForSelector('tr[data-channel="presence-lobby"] .member:text("bob")', { timeout: WAIT_MS });
  assert.equal(await page.textContent('#connections'), '2');

  const reached = nextEvent(orders, 'order-shipped');
  await page.fill('#trigger-channel', 'orders');
  await page.fill('#trigger-event', 'order-shipped');
  await page.fill('#trigger-data', '{"order": 42, "carrier": "bike"}');
  await page.click('#trigger-form button[type=submit]');
  assert.deepEqual(await reached, { order: 42, carrier: 'bike' }, 'the form\'s event reached pusher-js');
  await page.waitForSelector('#trigger-result:text("1 local subscriber")', { timeout: WAIT_MS });

  await server.trigger({ channels: ['orders'], event: 'price-changed', data: { sku: 'latte', price: 3.2 } });
  const entry = page.locator('#events li[data-type="api_event"]', { hasText: 'price-changed on orders' });
  await entry.waitFor({ timeout: WAIT_MS });
  assert.match(await entry.textContent(), /"price":3\.2/);

  lobby.trigger('client-typing', { typing: true });
  await page.locator('#events li[data-type="client_event"]', { hasText: 'client-typing on presence-lobby' })
    .waitFor({ timeout: WAIT_MS });
  // The channels occupied above were reported by webhook: one endpoint accepted, the other failed.
  await page.locator('#events li[data-type="webhook_sent"]', { hasText: 'channel_occupied' })
    .first().waitFor({ timeout: WAIT_MS });
  await page.locator('#events li[data-type="webhook_failed"]', { hasText: 'HTTP 500' })
    .first().waitFor({ timeout: WAIT_MS });
  await screenshot(page, 'console.png');
  await page.close();
});

test('signed in with the admin token: every app, and the form triggers with the chosen app\'s key', async () => {
  const page = await browser.newPage();
  await signIn(page, ADMIN_TOKEN);
  await page.waitForSelector('#live:text("live")', { timeout: WAIT_MS });
  assert.match(await page.textContent('#app'), /App 1 \(lspk_compat\)/);
  const news = await subscribed(client({ id: 'carol', name: 'Carol' }), 'news');
  const reached = nextEvent(news, 'headline');
  await page.fill('#trigger-channel', 'news');
  await page.fill('#trigger-event', 'headline');
  await page.fill('#trigger-data', 'plain text is sent as a string');
  await page.click('#trigger-form button[type=submit]');
  assert.equal(await reached, 'plain text is sent as a string');
  await page.locator('#events li', { hasText: 'headline on news' }).waitFor({ timeout: WAIT_MS });
  await page.close();
});
