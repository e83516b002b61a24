// A stand-in LatteStream server on 127.0.0.1:0 for the unit tests: it records every request, checks
// each signature the way the real server does (computed here independently of the SDK), and answers
// from a queue of scripted replies.

import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before } from 'node:test';

import { LatteStreamServer } from '../dist/index.js';

export const KEY = 'lsk_unit_test_key';

/** The signature the real server expects for a request (docs/authentication.md). */
export function expectedSignature(key, method, target, body, timestamp, nonce) {
  return createHmac('sha256', key).update(`${method}\n${target}\n${body}${timestamp}${nonce}`).digest('hex');
}

/**
 * Starts the fake. `replies` are `{status, body, headers}` objects, or functions of the recorded
 * request returning one (or a promise of one); when they run out, `200 {}` is answered.
 */
export async function startFake(replies = []) {
  const requests = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', async () => {
      const h = req.headers;
      const record = {
        method: req.method,
        target: req.url,
        headers: h,
        body,
        json: body ? JSON.parse(body) : undefined,
        signatureValid:
          h['x-lattestream-signature'] ===
          expectedSignature(KEY, req.method, req.url, body, h['x-lattestream-timestamp'], h['x-lattestream-nonce']),
      };
      requests.push(record);
      let reply = replies.shift() ?? { status: 200, body: {} };
      if (typeof reply === 'function') reply = await reply(record);
      const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
      res.writeHead(reply.status ?? 200, { 'Content-Type': 'application/json', ...(reply.headers ?? {}) });
      res.end(text);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((r) => server.close(r)),
  };
}

/**
 * One fake for a whole test file (started before its tests, closed after them): `fake.replies` is the
 * reply queue, `fake.last()` the latest request, `fake.client(options)` an SDK client pointed at it.
 */
export function useFake() {
  const replies = [];
  const fake = {
    replies,
    requests: [],
    last: () => fake.requests.at(-1),
    client: (options = {}) => new LatteStreamServer(KEY, { wsEndpoint: fake.url, ...options }),
  };
  let running;
  before(async () => {
    running = await startFake(replies);
    fake.url = running.url;
    fake.requests = running.requests;
  });
  after(() => running.close());
  return fake;
}
