#!/usr/bin/env node
// Idle Pusher-protocol (7) connections opened with plain Node `ws`, the way a
// new user measures a server: open N connections in waves, subscribe each to a
// channel, answer pusher:ping with pusher:pong (as pusher-js does), read the
// server's memory from /proc/PID/status, close everything, read it again.
//
// With --hold S it also keeps the connections for S seconds and reports the
// server's CPU seconds over that window (/proc/PID/stat utime+stime), the pings
// answered and the connections the server closed: the keep-alive cost.
//
// See README.md for the exact commands.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import WebSocket from 'ws';

const HELP = `usage: node ws-idle.mjs [options]
  --url URL            server base URL                 (default ws://127.0.0.1:6111)
  --key KEY            app key                         (default lspk_bench)
  --connections N      connections                     (default 10000)
  --channels C         channels; connection i joins channel i % C,
                       so C = N gives each its own     (default = connections)
  --prefix P           channel name prefix             (default ws-idle-)
  --wave W             connections opened per wave     (default 500)
  --wave-ms MS         time between waves              (default 50)
  --server-pid PID     server process to read /proc/PID/status and /proc/PID/stat from
  --settle S           seconds after the last subscription_succeeded before
                       reading "connected" RSS          (default 2)
  --hold S             then hold the connections S seconds, measuring server CPU (default 0)
  --left-wait S        seconds after closing all before reading "left" RSS (default 2)
  --no-deflate         do not offer permessage-deflate (ws offers it by default;
                       the negotiated extensions are reported)
  --timeout S          give up waiting for subscriptions after S seconds (default 120)
  --label L            name of the server in the result
  --json FILE          also write the result there`;

function parseArgs(argv) {
  const o = {
    url: 'ws://127.0.0.1:6111', key: 'lspk_bench', connections: 10000, channels: null,
    prefix: 'ws-idle-', wave: 500, waveMs: 50, serverPid: null, settle: 2, hold: 0,
    leftWait: 2, deflate: true, timeout: 120, label: 'server', json: null,
  };
  const num = (v, k) => { const n = Number(v); if (!Number.isFinite(n)) throw new Error(`bad ${k}: ${v}`); return n; };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const v = () => { if (i + 1 >= argv.length) throw new Error(`${a} needs a value`); return argv[++i]; };
    switch (a) {
      case '--url': o.url = v(); break;
      case '--key': o.key = v(); break;
      case '--connections': o.connections = num(v(), a); break;
      case '--channels': o.channels = num(v(), a); break;
      case '--prefix': o.prefix = v(); break;
      case '--wave': o.wave = num(v(), a); break;
      case '--wave-ms': o.waveMs = num(v(), a); break;
      case '--server-pid': o.serverPid = num(v(), a); break;
      case '--settle': o.settle = num(v(), a); break;
      case '--hold': o.hold = num(v(), a); break;
      case '--left-wait': o.leftWait = num(v(), a); break;
      case '--no-deflate': o.deflate = false; break;
      case '--timeout': o.timeout = num(v(), a); break;
      case '--label': o.label = v(); break;
      case '--json': o.json = v(); break;
      case '-h': case '--help': console.log(HELP); process.exit(0);
      default: throw new Error(`unknown option ${a}\n${HELP}`);
    }
  }
  if (o.channels == null) o.channels = o.connections;
  return o;
}

const opt = parseArgs(process.argv);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// VmRSS and RssAnon of the server in KiB (null without --server-pid).
function mem() {
  if (!opt.serverPid) return null;
  const s = readFileSync(`/proc/${opt.serverPid}/status`, 'utf8');
  const kb = (k) => Number((s.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm')) || [])[1]);
  // Open descriptors: whether the server still holds the closed sockets.
  const fds = readdirSync(`/proc/${opt.serverPid}/fd`).length;
  // Load average: other work on the machine delays the allocator's purging thread too.
  const loadavg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return { vmrss_kb: kb('VmRSS'), rss_anon_kb: kb('RssAnon'), fds, loadavg };
}

// Server CPU seconds (utime + stime; USER_HZ is 100 on Linux).
function cpuSecs() {
  if (!opt.serverPid) return null;
  const s = readFileSync(`/proc/${opt.serverPid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  return (Number(f[11]) + Number(f[12])) / 100; // fields 14 and 15
}

const c = {
  opened: 0, established: 0, subscribed: 0, errors: 0, closedEarly: 0, terminated: 0,
  pings: 0, pongs: 0, otherEvents: 0, closeCodes: {},
};
let closing = false;
const sockets = [];
let lastSubscribed = 0;
let extensions = null;
let onAllSubscribed = null;

function open(i) {
  const channel = `${opt.prefix}${i % opt.channels}`;
  const ws = new WebSocket(`${opt.url}/app/${opt.key}?protocol=7&client=js&version=8.4.0`, {
    perMessageDeflate: opt.deflate,
  });
  sockets.push(ws);
  ws.on('open', () => {
    c.opened++;
    if (extensions === null) extensions = ws.extensions || '';
  });
  ws.on('message', (data) => {
    let m;
    try { m = JSON.parse(data.toString()); } catch { c.otherEvents++; return; }
    switch (m.event) {
      case 'pusher:connection_established':
        c.established++;
        // pusher-js subscribes once the connection is established.
        ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel } }));
        break;
      case 'pusher_internal:subscription_succeeded':
        c.subscribed++;
        lastSubscribed = Date.now();
        if (c.subscribed === opt.connections && onAllSubscribed) onAllSubscribed();
        break;
      case 'pusher:ping':
        c.pings++;
        ws.send('{"event":"pusher:pong","data":{}}');
        c.pongs++;
        break;
      default:
        c.otherEvents++;
    }
  });
  ws.on('error', () => { c.errors++; });
  ws.on('close', (code) => {
    if (!closing) {
      c.closedEarly++;
      c.closeCodes[code] = (c.closeCodes[code] || 0) + 1;
    }
  });
}

function growth(before, after, left, key) {
  if (!before || !after) return {};
  const grown = after[key] - before[key];
  return {
    bytes_per_conn: (grown * 1024) / opt.connections,
    given_back_pct: left && grown > 0 ? ((after[key] - left[key]) * 100) / grown : null,
  };
}

async function main() {
  const before = mem();
  const t0 = Date.now();
  const all = new Promise((r) => { onAllSubscribed = r; });
  for (let i = 0; i < opt.connections; i += opt.wave) {
    for (let j = i; j < Math.min(i + opt.wave, opt.connections); j++) open(j);
    if (i + opt.wave < opt.connections) await sleep(opt.waveMs);
  }
  const timedOut = await Promise.race([
    all.then(() => false),
    sleep(opt.timeout * 1000).then(() => true),
  ]);
  const connectSecs = ((timedOut ? Date.now() : lastSubscribed) - t0) / 1000;
  if (timedOut) console.error(`timeout: ${c.subscribed}/${opt.connections} subscribed`);
  await sleep(opt.settle * 1000);
  const connected = mem();

  let hold = null;
  if (opt.hold > 0) {
    const cpu0 = cpuSecs(); const p0 = c.pings; const closed0 = c.closedEarly; const h0 = Date.now();
    await sleep(opt.hold * 1000);
    const cpu1 = cpuSecs();
    hold = {
      secs: (Date.now() - h0) / 1000,
      server_cpu_secs: cpu0 == null ? null : Math.round((cpu1 - cpu0) * 100) / 100,
      pings_answered: c.pings - p0,
      closed_by_server: c.closedEarly - closed0,
      rss_end: mem(),
    };
  }

  closing = true;
  const closedAll = Promise.all(sockets.map((ws) => new Promise((r) => {
    if (ws.readyState === WebSocket.CLOSED) return r();
    const t = setTimeout(() => { c.terminated++; ws.terminate(); r(); }, 5000);
    ws.once('close', () => { clearTimeout(t); r(); });
    ws.close(1000);
  })));
  await closedAll;
  await sleep(opt.leftWait * 1000);
  const left = mem();

  const result = {
    tool: 'ws-idle.mjs', ws_version: JSON.parse(readFileSync(new URL('./node_modules/ws/package.json', import.meta.url))).version,
    node: process.version, label: opt.label, url: opt.url,
    connections: opt.connections, channels: opt.channels, wave: opt.wave, wave_ms: opt.waveMs,
    settle_secs: opt.settle, left_wait_secs: opt.leftWait, deflate_offered: opt.deflate,
    extensions_negotiated: extensions,
    opened: c.opened, established: c.established, subscribed: c.subscribed, errors: c.errors,
    closed_by_server: c.closedEarly, terminated_after_5s: c.terminated, close_codes: c.closeCodes, pings_answered: c.pings, other_events: c.otherEvents,
    connect_secs: connectSecs, connect_rate: c.subscribed / connectSecs,
    before, connected, left,
    vmrss: growth(before, connected, left, 'vmrss_kb'),
    rss_anon: growth(before, connected, left, 'rss_anon_kb'),
    hold,
  };
  const f = (x) => (x == null ? '-' : Math.round(x).toString());
  const p = (x) => (x == null ? '-' : `${x.toFixed(1)}%`);
  console.log(`${opt.label}: ${c.subscribed}/${opt.connections} subscribed on ${opt.channels} channels in ${connectSecs.toFixed(2)} s (${f(result.connect_rate)}/s), errors ${c.errors}, closed by server ${c.closedEarly}`);
  if (before) {
    console.log(`  VmRSS   KiB before ${before.vmrss_kb} connected ${connected.vmrss_kb} left ${left.vmrss_kb}: ${f(result.vmrss.bytes_per_conn)} B/conn, given back ${p(result.vmrss.given_back_pct)}`);
    console.log(`  RssAnon KiB before ${before.rss_anon_kb} connected ${connected.rss_anon_kb} left ${left.rss_anon_kb}: ${f(result.rss_anon.bytes_per_conn)} B/conn, given back ${p(result.rss_anon.given_back_pct)}`);
    console.log(`  server fds before ${before.fds} connected ${connected.fds} left ${left.fds}; client-side closes by timeout ${c.terminated}`);
  }
  if (hold) console.log(`  hold ${hold.secs.toFixed(1)} s: server CPU ${hold.server_cpu_secs} s, pings answered ${hold.pings_answered}, closed by server ${hold.closed_by_server}`);
  if (opt.json) writeFileSync(opt.json, JSON.stringify(result, null, 2) + '\n');
  process.exit(0);
}

main().catch((e) => { console.error(e); process.exit(1); });
