// A live subscriber in the LatteStream dialect (what `@lattestream/client` speaks), over the pinned `ws`
// package: connects with a credential, learns its real socket id, subscribes (with an authorization
// when given one) and collects every frame, so tests wait on what actually arrived.

import WebSocket from 'ws';

/** Upper bound for one wait: a hang guard, not a delay (every wait ends on a frame). */
export const WAIT_MS = 10000;

/** Connects to `base` (http://host:port) as `credential`; resolves once `connection_established` came. */
export async function connect(base, credential) {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/`);
  const frames = [];
  const waiters = new Set();
  let closed = null;
  ws.on('message', (raw) => {
    frames.push(JSON.parse(raw.toString()));
    for (const w of [...waiters]) w();
  });
  ws.on('close', (code) => {
    closed = { code };
    for (const w of [...waiters]) w();
  });
  ws.on('error', () => {});

  /** The first frame (at or after index `from`) matching `pred`, waiting for it to arrive. */
  function waitFor(pred, what, from = 0) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = frames.slice(from).find(pred);
        if (hit) return done(() => resolve(hit));
        if (closed) return done(() => reject(new Error(`closed (${closed.code}) before ${what}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`timed out waiting for ${what}`))), WAIT_MS);
      const done = (settle) => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      check();
    });
  }

  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ api_key: credential }));
  const established = await waitFor((f) => f.event === 'lattestream:connection_established', 'connection_established');
  const client = {
    socketId: established.data.socket_id,
    frames,
    waitFor,
    send: (frame) => ws.send(JSON.stringify(frame)),
    /** Subscribes; resolves with `subscription_succeeded`'s data, rejects with a `subscription_error`. */
    async subscribe(channel, auth = {}) {
      const from = frames.length;
      client.send({ event: 'lattestream:subscribe', data: { channel, ...auth } });
      const answer = await waitFor(
        (f) =>
          f.channel === channel &&
          ['lattestream_internal:subscription_succeeded', 'lattestream:subscription_error'].includes(f.event),
        `an answer to the subscribe to ${channel}`,
        from,
      );
      if (answer.event === 'lattestream:subscription_error') {
        throw Object.assign(new Error(`subscription to ${channel} refused: ${JSON.stringify(answer.data)}`), {
          data: answer.data,
        });
      }
      return answer.data;
    },
    /** The next event `name` on `channel`, with its data parsed when it is a JSON string. */
    async event(channel, name, from = 0) {
      const f = await waitFor((x) => x.channel === channel && x.event === name, `${name} on ${channel}`, from);
      return typeof f.data === 'string' ? JSON.parse(f.data) : f.data;
    },
    /** Resolves with the close code once the server has closed the connection. */
    closed: () => waitFor(() => false, 'the close').catch(() => closed?.code),
    close: () => ws.close(),
  };
  return client;
}
