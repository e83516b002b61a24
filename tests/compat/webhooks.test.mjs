// Webhooks as receivers in the ecosystem check them. A node:http receiver keeps each request's raw
// body, then checks it five ways: this repository's server SDK (sdks/node, `verifyWebhookSignature` on
// the raw body, both header pairs); the earlier published SDK's documented handler (HMAC of
// JSON.stringify of the body Express parsed, as the docs' "without the SDK" snippet taken from
// docs/webhooks.md); the official `pusher` library's `webhook(…).isValid()` on the X-Pusher-* pair;
// and the Python and PHP snippets of docs/webhooks.md run by python3 and php on the same bytes. The app
// and its endpoint come from LATTESTREAM_APP_* and LATTESTREAM_APP_WEBHOOKS.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import PusherServer from 'pusher';

import { startServer, APP_ID, APP_KEY, APP_SECRET } from './server.mjs';
import { startAuthServer } from './auth-server.mjs';
import { Pusher, clientOptions, next, until } from './helpers.mjs';

const ENDPOINT_SECRET = 'whsec_compat_node';
const here = dirname(fileURLToPath(import.meta.url));
const sdk = createRequire(import.meta.url)(join(here, '..', '..', 'sdks', 'node', 'dist', 'index.js'));
const work = mkdtempSync(join(tmpdir(), 'ls-webhook-snippets-'));

/** The fenced block after `<!-- verify:LANG -->` in docs/webhooks.md. */
function snippet(lang) {
  const doc = readFileSync(join(here, '..', '..', 'docs', 'webhooks.md'), 'utf8');
  const match = new RegExp(`<!-- verify:${lang} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\`\`\``).exec(doc);
  assert.ok(match, `docs/webhooks.md has a verify:${lang} snippet`);
  return match[1];
}

/** Runs a documented snippet with a harness line on `body`; true when it says the signature is valid. */
function runSnippet(command, file, code, harness, body, signature) {
  const path = join(work, file);
  writeFileSync(path, code + harness);
  const run = spawnSync(command, [path], {
    input: body,
    env: { ...process.env, SIG: signature, SECRET: ENDPOINT_SECRET },
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, `${command}: ${run.stderr}`);
  return run.stdout.trim() === 'valid';
}

const PY = '\nimport os, sys\nprint("valid" if verify_lattestream_webhook(sys.stdin.buffer.read(), os.environ["SIG"], os.environ["SECRET"]) else "invalid")\n';
const PHP = "\necho verify_lattestream_webhook(file_get_contents('php://stdin'), getenv('SIG'), getenv('SECRET')) ? 'valid' : 'invalid';\n";

function startReceiver() {
  const requests = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      requests.push({ headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end('ok');
    });
  });
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res({ server, requests, port: server.address().port })));
}

test('webhooks verify with the SDK, the earlier SDK handler, the pusher library, and the Python and PHP snippets', async () => {
  const receiver = await startReceiver();
  const hooks = [{ url: `http://127.0.0.1:${receiver.port}/hooks`, secret: ENDPOINT_SECRET }];
  const server = await startServer({
    appFrom: 'env',
    env: {
      LATTESTREAM_APP_WEBHOOKS: JSON.stringify(hooks),
      LATTESTREAM_WEBHOOKS__BATCH_WINDOW: '50ms',
      LATTESTREAM_WEBHOOKS__DEBOUNCE: '200ms',
    },
  });
  const auth = await startAuthServer({ key: server.key, secret: server.secret });
  const clients = [];
  try {
    const client = (user) => {
      const p = new Pusher(APP_KEY, clientOptions(server, {
        channelAuthorization: { endpoint: auth.endpoint, transport: 'ajax', params: { user_id: user } },
      }));
      clients.push(p);
      return p;
    };
    const a = client('alice');
    const b = client('bob');
    const chA = a.subscribe('presence-hooks');
    await next(chA, 'pusher:subscription_succeeded', 'a subscribed');
    const chB = b.subscribe('presence-hooks');
    await next(chB, 'pusher:subscription_succeeded', 'b subscribed');
    const data = { text: 'hé "quoted" \\ / \n\t\u0001 \u2028 🎉', n: 1.5, big: 12345678901234 };
    const got = next(chB, 'client-note', 'the client event');
    chA.trigger('client-note', data);
    await got;
    b.unsubscribe('presence-hooks');
    a.disconnect();

    const events = () => receiver.requests.flatMap((r) => JSON.parse(r.raw).events);
    await until(() => events().some((e) => e.name === 'channel_vacated'), 'channel_vacated', 10000);
    const names = events().filter((e) => e.channel === 'presence-hooks').map((e) => e.name);
    assert.deepEqual(names, [
      'channel_occupied', 'member_added', 'member_added', 'client_event',
      'member_removed', 'member_removed', 'channel_vacated',
    ]);
    const clientEvent = events().find((e) => e.name === 'client_event');
    assert.equal(clientEvent.event, 'client-note');
    assert.deepEqual(JSON.parse(clientEvent.data), data);
    assert.equal(clientEvent.user_id, 'alice');
    assert.match(clientEvent.socket_id, /^\d+\.\d+$/);

    writeFileSync(join(work, 'verify.mjs'), snippet('node'));
    const { verifyLatteStreamWebhook } = await import(pathToFileURL(join(work, 'verify.mjs')).href);
    const library = new PusherServer({ appId: APP_ID, key: APP_KEY, secret: APP_SECRET });
    for (const { headers, raw } of receiver.requests) {
      const signature = headers['x-lattestream-signature'];
      const parsed = JSON.parse(raw); // what express.json() hands the SDK's handler
      assert.equal(JSON.stringify(parsed), raw, 'the body survives JSON.parse + JSON.stringify');
      assert.ok(sdk.verifyWebhookSignature(raw, signature, ENDPOINT_SECRET), 'the SDK, X-LatteStream-*');
      assert.ok(sdk.verifyWebhookSignature(raw, headers['x-pusher-signature'], APP_SECRET), 'the SDK, X-Pusher-*');
      assert.ok(verifyLatteStreamWebhook(parsed, signature, ENDPOINT_SECRET), 'the earlier SDK handler');
      assert.equal(headers['x-lattestream-key'], APP_KEY);
      const webhook = library.webhook({ headers, rawBody: raw });
      assert.ok(webhook.isValid(), 'the pusher library accepts X-Pusher-Key/-Signature');
      assert.deepEqual(webhook.getEvents(), parsed.events);
      assert.ok(runSnippet('python3', 'verify.py', snippet('python'), PY, raw, signature), 'Python snippet');
      assert.ok(runSnippet('php', 'verify.php', snippet('php'), PHP, raw, signature), 'PHP snippet');
    }
    const { headers, raw } = receiver.requests[0];
    const tampered = raw.replace('presence-hooks', 'presence-hookz');
    const signature = headers['x-lattestream-signature'];
    assert.ok(!verifyLatteStreamWebhook(JSON.parse(tampered), signature, ENDPOINT_SECRET));
    assert.ok(!sdk.verifyWebhookSignature(tampered, signature, ENDPOINT_SECRET));
    assert.ok(!library.webhook({ headers, rawBody: tampered }).isValid());
    assert.ok(!runSnippet('python3', 'verify.py', snippet('python'), PY, tampered, signature));
    assert.ok(!runSnippet('php', 'verify.php', snippet('php'), PHP, tampered, signature));
  } finally {
    clients.forEach((c) => c.disconnect());
    await auth.stop();
    await server.stop();
    receiver.server.close();
  }
});
