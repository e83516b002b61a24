// Starts a real LatteStream server for one test file: a fresh data dir, port 0, one known app.
// The port is learnt from the `LatteStream is serving addr=127.0.0.1:PORT` log line on stderr.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const APP_ID = '1';
export const APP_KEY = 'lspk_compat';
export const APP_SECRET = 'lsk_compat_secret';

const here = dirname(fileURLToPath(import.meta.url));
export const BIN = process.env.LATTESTREAM_BIN
  ? resolve(process.env.LATTESTREAM_BIN)
  : resolve(here, '../../target/debug/lattestream');

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
const SERVING = /LatteStream is serving addr=(\S+):(\d+)/;

/**
 * pusher-js options that point a client at a server started here over plain WebSocket; `extra` adds to
 * them. (Here, not in helpers.mjs, so suites without pusher-js installed here can share it.)
 */
export function clientOptions(server, extra = {}) {
  return {
    wsHost: '127.0.0.1',
    wsPort: server.port,
    forceTLS: false,
    enabledTransports: ['ws'],
    cluster: 'local',
    disableStats: true,
    ...extra,
  };
}

/** The app given wholly by environment variables, as docs/configuration.md describes. */
export function envApp() {
  return {
    LATTESTREAM_APP_ID: APP_ID,
    LATTESTREAM_APP_KEY: APP_KEY,
    LATTESTREAM_APP_SECRET: APP_SECRET,
    LATTESTREAM_APP_CLIENT_EVENTS: 'true',
    LATTESTREAM_APP_RATE_LIMIT: 'false',
    LATTESTREAM_LOG: 'info',
  };
}

/** The same app as a `--config` TOML file, or `toml` as the whole file when given. */
function configApp(dir, settings = {}, toml = undefined) {
  const path = join(dir, 'compat.toml');
  writeFileSync(
    path,
    toml ?? [
      '[[apps]]',
      `id = "${APP_ID}"`,
      `key = "${APP_KEY}"`,
      `secret = "${APP_SECRET}"`,
      'client_events = true',
      ...Object.entries(settings).map(([k, v]) => `${k} = ${JSON.stringify(v)}`),
      '[apps.rate_limits]',
      'enabled = false',
      '',
    ].join('\n'),
  );
  return path;
}

/**
 * Spawns the server and resolves once it serves.
 *
 * `appFrom` picks how the app is given:
 * - 'config' (default): a `--config` TOML file.
 * - 'env': the `LATTESTREAM_APP_*` variables (and `LATTESTREAM_LOG=info`).
 * `settings` adds app settings to the config file (and forces 'config'); `env` adds variables.
 * `configToml` replaces the whole config file (other apps, other keys; forces 'config').
 * Set LATTESTREAM_COMPAT_APP_FROM=env to run the whole suite the env way.
 */
export async function startServer({
  appFrom = process.env.LATTESTREAM_COMPAT_APP_FROM || 'config',
  timeoutMs = 15000,
  settings = {},
  env: extraEnv = {},
  configToml = undefined,
} = {}) {
  // Extra app settings (`{ watchlist_events: true }`) exist only in the config file.
  if (Object.keys(settings).length > 0 || configToml !== undefined) appFrom = 'config';
  if (!existsSync(BIN)) {
    throw new Error(`no server binary at ${BIN}: run \`cargo build\` first or set LATTESTREAM_BIN`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'lattestream-compat-'));
  const args = ['--addr', '127.0.0.1:0', '--data-dir', dataDir];
  const env = { ...process.env, NO_COLOR: '1' };
  // The server reads every LATTESTREAM_* variable as configuration and refuses unknown ones (e.g. the
  // LATTESTREAM_BIN that scripts/test.sh sets for this suite): give it only what is meant for it.
  for (const k of Object.keys(env)) {
    if (k.startsWith('LATTESTREAM_')) delete env[k];
  }
  Object.assign(env, extraEnv); // e.g. LATTESTREAM_ADMIN_TOKEN for the console test
  if (appFrom === 'env') {
    Object.assign(env, envApp());
  } else {
    args.unshift('--config', configApp(dataDir, settings, configToml));
  }

  const child = spawn(BIN, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let exited = null;
  const exit = new Promise((res) => child.once('exit', (code, signal) => res((exited = { code, signal }))));

  const port = await new Promise((res, rej) => {
    const timer = setTimeout(() => {
      fail(new Error(`server did not log "LatteStream is serving" within ${timeoutMs} ms`));
    }, timeoutMs);
    const fail = (err) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      rej(new Error(`${err.message}\n--- server stderr ---\n${stderr}`));
    };
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      stderr += chunk.replace(ANSI, '');
      const m = SERVING.exec(stderr);
      if (m) {
        clearTimeout(timer);
        res(Number(m[2]));
      }
    });
    child.once('error', fail);
    exit.then(({ code, signal }) => fail(new Error(`server exited early (code ${code}, signal ${signal})`)));
  });

  const base = `http://127.0.0.1:${port}`;
  return {
    port,
    base,
    key: APP_KEY,
    secret: APP_SECRET,
    get stderr() {
      return stderr;
    },
    /** POST /events with the app secret as bearer; resolves with the parsed JSON body. */
    async trigger(body) {
      const res = await fetch(`${base}/events`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${APP_SECRET}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5000),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`POST /events → ${res.status}: ${text}`);
      return JSON.parse(text);
    },
    /** The `lattestream_connections` gauge from GET /metrics. */
    async openConnections() {
      const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5000) });
      const text = await res.text();
      const m = /^lattestream_connections (\d+)/m.exec(text);
      if (!m) throw new Error(`no lattestream_connections in /metrics:\n${text}`);
      return Number(m[1]);
    },
    async stop() {
      if (exited === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exit;
        clearTimeout(killer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
