// The HTTP plumbing the test auth endpoints share: a server on 127.0.0.1:0 that reads each request's
// form-encoded body and answers with the JSON its handler returns.

import { createServer } from 'node:http';

/**
 * Starts the server. `handle({ method, path, form, headers })` returns `[status, body]`; `form` is the
 * body as URLSearchParams. Resolves with `{ base, stop }`, `base` being `http://127.0.0.1:PORT`.
 */
export async function serveForms(handle) {
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const path = new URL(req.url, 'http://localhost').pathname;
      const form = new URLSearchParams(body);
      const [status, reply] = handle({ method: req.method, path, form, headers: req.headers });
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(reply));
    });
  });
  await new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', res);
  });
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    async stop() {
      server.closeAllConnections?.();
      await new Promise((res) => server.close(res));
    },
  };
}
