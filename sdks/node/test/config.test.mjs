// Where requests go (options, LATTESTREAM_URL, hosted default) and what the constructor refuses.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { LatteStreamServer, resolveBaseUrl, ValidationError } from '../dist/index.js';

test('an endpoint option wins, https unless useTLS is false', () => {
  const env = { LATTESTREAM_URL: 'http://10.0.0.1:6001' };
  assert.equal(resolveBaseUrl({ wsEndpoint: 'ls.example.com' }, env), 'https://ls.example.com');
  assert.equal(resolveBaseUrl({ wsEndpoint: '127.0.0.1:6001', useTLS: false }, env), 'http://127.0.0.1:6001');
  assert.equal(resolveBaseUrl({ host: 'http://127.0.0.1:7001/' }, env), 'http://127.0.0.1:7001');
});

test('LATTESTREAM_URL comes before the hosted default', () => {
  assert.equal(resolveBaseUrl({}, { LATTESTREAM_URL: 'http://127.0.0.1:6001' }), 'http://127.0.0.1:6001');
  assert.equal(resolveBaseUrl({}, { LATTESTREAM_URL: 'wss://ls.example.com' }), 'https://ls.example.com');
  assert.equal(resolveBaseUrl({}, {}), 'https://eu1.lattestream.com');
  assert.equal(resolveBaseUrl({ cluster: 'us2' }, { LATTESTREAM_URL: ' ' }), 'https://us2.lattestream.com');
});

test('a URL that is not an http origin is refused with INVALID_CONFIG', () => {
  for (const bad of ['not a url', 'ftp://x', 'http://x/prefix', 'http://x/?q=1']) {
    assert.throws(() => resolveBaseUrl({}, { LATTESTREAM_URL: bad }), { code: 'INVALID_CONFIG' }, bad);
  }
});

test('the constructor reads LATTESTREAM_URL and refuses a key that is not private', () => {
  const saved = process.env.LATTESTREAM_URL;
  process.env.LATTESTREAM_URL = 'http://127.0.0.1:6001';
  try {
    assert.equal(new LatteStreamServer('lsk_x').baseUrl, 'http://127.0.0.1:6001');
  } finally {
    if (saved === undefined) delete process.env.LATTESTREAM_URL;
    else process.env.LATTESTREAM_URL = saved;
  }
  assert.throws(() => new LatteStreamServer('lspk_public'), (e) => e instanceof ValidationError && e.code === 'INVALID_CONFIG');
});
