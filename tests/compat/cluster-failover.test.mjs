// Issue 17: two LatteStream processes on one Redis behind a load balancer (a TCP proxy here, sending each
// new connection to the first node that accepts it). SIGTERM on the node a pusher-js client is on: the
// node closes it with 4200, pusher-js reconnects at once, lands on the other node, subscribes again
// and receives events triggered on that node. A private redis-server on a free port is started here.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';

import { Pusher, clientOptions, next, until } from './helpers.mjs';
import { startServer } from './server.mjs';

let redis;
let nodes = [];
let proxy;

function freePort() {
  return new Promise((res) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

async function startRedis() {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  await until(
    () =>
      new Promise((res) => {
        const s = net.connect(port, '127.0.0.1', () => {
          s.end();
          res(true);
        });
        s.on('error', () => res(false));
      }),
    'redis-server listening',
    10000,
  );
  return { port, stop: () => child.kill('SIGKILL') };
}

/** A proxy that sends each new connection to the first of `ports()` that accepts it. */
function startProxy(ports) {
  const sockets = new Set();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    const tryPort = (i) => {
      const list = ports();
      if (i >= list.length) return client.destroy();
      const upstream = net.connect(list[i], '127.0.0.1');
      upstream.once('error', () => tryPort(i + 1));
      upstream.once('connect', () => {
        upstream.removeAllListeners('error');
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        client.pipe(upstream).pipe(client);
      });
    };
    tryPort(0);
  });
  return new Promise((res) =>
    server.listen(0, '127.0.0.1', () =>
      res({
        port: server.address().port,
        close: () => {
          sockets.forEach((s) => s.destroy());
          server.close();
        },
      }),
    ),
  );
}

before(async () => {
  redis = await startRedis();
  const env = { LATTESTREAM_REDIS_URL: `redis://127.0.0.1:${redis.port}/` };
  nodes = [await startServer({ env }), await startServer({ env })];
  proxy = await startProxy(() => nodes.filter((n) => !n.stopped).map((n) => n.port));
});

after(async () => {
  proxy?.close();
  for (const n of nodes) await n.stop();
  redis?.stop();
});

test('SIGTERM on a node: its pusher-js clients reconnect to the other node and receive again', async () => {
  const [first, second] = nodes;
  const client = new Pusher(first.key, clientOptions({ port: proxy.port }, { wsPort: proxy.port }));
  try {
    await next(client.connection, 'connected', 'connected through the proxy');
    const channel = client.subscribe('news');
    await next(channel, 'pusher:subscription_succeeded', 'subscribed');
    const before = next(channel, 'flash', 'an event triggered on the other node');
    const reply = await second.trigger({ channels: ['news'], event: 'flash', data: { n: 1 } });
    assert.equal(reply.triggered, 1, 'the cluster counts the subscriber on the first node');
    assert.deepEqual((await before)[0], { n: 1 });

    const firstSocket = client.connection.socket_id;
    const reconnected = next(client.connection, 'connected', 'reconnected after SIGTERM', 15000);
    first.stopped = true;
    await first.stop();
    await reconnected;
    assert.notEqual(client.connection.socket_id, firstSocket, 'a new connection, on the other node');
    await until(async () => {
      const answer = await second.trigger({ channels: ['news'], event: 'probe', data: {} });
      return answer.triggered === 1;
    }, 'the client subscribed again on the second node', 10000);
    const after = next(channel, 'flash', 'an event after the failover');
    await second.trigger({ channels: ['news'], event: 'flash', data: { n: 2 } });
    assert.deepEqual((await after)[0], { n: 2 });
  } finally {
    client.disconnect();
  }
});
