// pusher-js clients pointed at the test server, and bounded waits on their events.

import Pusher from 'pusher-js';

import { clientOptions, startServer } from './server.mjs';
import { startAuthServer } from './auth-server.mjs';

export { Pusher, clientOptions };

/** Upper bound for any one wait: a hang guard, not a delay (every wait ends on an event). */
export const WAIT_MS = 5000;

/** Rejects with `what` if `promise` has not settled within `ms`. */
export function within(promise, what, ms = WAIT_MS) {
  let timer;
  const guard = new Promise((_, rej) => {
    timer = setTimeout(() => rej(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/** The next `event` on a pusher-js channel, connection or client: resolves with the callback's arguments. */
export function next(emitter, event, what = event, ms = WAIT_MS) {
  let handler;
  const p = new Promise((res) => {
    handler = (...args) => res(args);
    emitter.bind(event, handler);
  });
  return within(p, what, ms).finally(() => emitter.unbind(event, handler));
}

/** Records every call of `event` on `emitter` (for "received exactly once / never" checks). */
export function record(emitter, event) {
  const calls = [];
  emitter.bind(event, (...args) => calls.push(args));
  return calls;
}

/** Polls `check` (async, returns truthy when done) until it holds; a bounded wait on server state. */
export async function until(check, what, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 5)); // poll interval, not a wait for an outcome
  }
}

/**
 * Starts a server and an auth endpoint, and returns a factory for pusher-js clients on them.
 * Call `env.close()` in `after()`: it disconnects every client, then stops both servers.
 */
export async function startEnv() {
  const server = await startServer();
  let auth;
  try {
    auth = await startAuthServer({ key: server.key, secret: server.secret });
  } catch (e) {
    await server.stop();
    throw e;
  }
  const clients = [];

  /** A pusher-js client; `user` ({id, name}) goes to the auth endpoint as form params. */
  function client({ user } = {}) {
    const params = user ? { user_id: user.id, user_name: user.name ?? user.id } : {};
    const pusher = new Pusher(
      server.key,
      clientOptions(server, {
        channelAuthorization: { endpoint: auth.endpoint, transport: 'ajax', params },
      }),
    );
    clients.push(pusher);
    return pusher;
  }

  /** A client that has connected (resolves once `connected` fired). */
  async function connectedClient(opts) {
    const pusher = client(opts);
    if (pusher.connection.state !== 'connected') {
      await next(pusher.connection, 'connected', 'pusher-js connection');
    }
    return pusher;
  }

  /** Subscribes and waits for `pusher:subscription_succeeded`; resolves with [channel, data]. */
  async function subscribe(pusher, name) {
    const channel = pusher.subscribe(name);
    let ok, bad;
    const outcome = new Promise((res, rej) => {
      ok = (data) => res(data);
      bad = (err) => rej(new Error(`subscription to ${name} failed: ${JSON.stringify(err)}`));
      channel.bind('pusher:subscription_succeeded', ok);
      channel.bind('pusher:subscription_error', bad);
    });
    try {
      return [channel, await within(outcome, `subscription_succeeded on ${name}`)];
    } finally {
      channel.unbind('pusher:subscription_succeeded', ok);
      channel.unbind('pusher:subscription_error', bad);
    }
  }

  /** Disconnects `pusher` and waits until the server has closed its side (its connection gauge fell). */
  async function disconnect(pusher) {
    const before = await server.openConnections();
    pusher.disconnect();
    await until(async () => (await server.openConnections()) < before, 'the server to close the connection');
  }

  async function close() {
    for (const p of clients) {
      try {
        p.disconnect();
      } catch {
        // already gone
      }
    }
    await auth.stop();
    await server.stop();
  }

  return { server, auth, client, connectedClient, subscribe, disconnect, close };
}
