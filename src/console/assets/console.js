// The LatteStream debug console: signs in with a credential kept in memory only, watches one app over
// the console WebSocket, and triggers events through the public REST API (POST /events).
"use strict";

const MAX_ENTRIES = 200;
const $ = (id) => document.getElementById(id);
const state = { credential: null, role: null, apps: [], socket: null, paused: false, seen: 0 };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

function currentApp() {
  return state.apps.find((app) => app.id === $("app").value) || state.apps[0];
}

async function signIn(credential) {
  const response = await fetch("/console/api/apps", { headers: { Authorization: `Bearer ${credential}` } });
  if (!response.ok) throw new Error("That is neither a private key of an app served here nor the admin token.");
  const body = await response.json();
  Object.assign(state, { credential, role: body.role, apps: body.apps });
  $("app").replaceChildren(...body.apps.map((app) => el("option", { value: app.id }, `App ${app.id} (${app.key})`)));
  $("sign-in").hidden = true;
  $("dashboard").hidden = false;
  $("session").hidden = false;
  watch();
}

function signOut() {
  state.credential = null;
  if (state.socket) state.socket.close();
  state.socket = null;
  $("credential").value = "";
  $("dashboard").hidden = true;
  $("session").hidden = true;
  $("sign-in").hidden = false;
}

function setLive(text, live) {
  $("live").textContent = text;
  $("live").classList.toggle("live", live);
}

// One WebSocket per watched app; reconnects while signed in.
function watch() {
  if (state.socket) state.socket.close();
  const app = currentApp();
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/console/api/apps/${app.id}/stream`);
  state.socket = socket;
  setLive("connecting…", false);
  socket.onopen = () => socket.send(JSON.stringify({ credential: state.credential }));
  socket.onmessage = (message) => {
    const entry = JSON.parse(message.data);
    if (entry.type === "snapshot") { setLive("live", true); renderSnapshot(entry); }
    else if (entry.type === "error") setLive(entry.error, false);
    else addEntry(entry);
  };
  socket.onclose = () => {
    if (state.socket !== socket) return;
    setLive("disconnected", false);
    if (state.credential) setTimeout(() => state.socket === socket && watch(), 2000);
  };
}

function renderSnapshot(snapshot) {
  $("connections").textContent = snapshot.connections;
  $("channel-count").textContent = snapshot.channel_count;
  const rows = snapshot.channels.map((channel) => {
    const members = channel.members.map((m) => el("span", { class: "member", title: JSON.stringify(m.user_info) }, m.user_id));
    const row = el("tr", { "data-channel": channel.name },
      el("td", {}, el("code", {}, channel.name)),
      el("td", { class: "num" }, String(channel.subscriptions)),
      el("td", {}, ...members));
    return row;
  });
  $("channels").querySelector("tbody").replaceChildren(...rows);
  $("no-channels").hidden = rows.length > 0;
}

function describe(entry) {
  switch (entry.type) {
    case "api_event": return [`${entry.event} on ${entry.channel}`, `to ${entry.delivered} local subscriber(s): ${entry.data}`];
    case "client_event": return [`${entry.event} on ${entry.channel}`, `${entry.user_id ? `from ${entry.user_id}: ` : ""}${entry.data}`];
    case "webhook_sent": return [`${entry.events.join(", ")} → ${entry.url}`, `HTTP ${entry.status}`];
    case "webhook_failed": return [`${entry.events.join(", ")} → ${entry.url}`, entry.reason];
    case "lagged": return ["the console fell behind", `${entry.skipped} entries skipped`];
    default: return [entry.type, JSON.stringify(entry)];
  }
}

const LABELS = { api_event: "REST event", client_event: "client event", webhook_sent: "webhook sent", webhook_failed: "webhook failed", lagged: "skipped" };

function addEntry(entry) {
  if (state.paused) return;
  state.seen += 1;
  $("event-count").textContent = state.seen;
  const [what, detail] = describe(entry);
  const when = new Date(entry.at_ms || Date.now()).toLocaleTimeString();
  const item = el("li", { "data-type": entry.type },
    el("span", { class: "when" }, when),
    el("span", {}, el("span", { class: `badge ${entry.type}` }, LABELS[entry.type] || entry.type)),
    el("span", { class: "what" }, el("b", {}, what), el("span", { class: "data" }, detail)));
  item.hidden = !matches(item);
  $("events").prepend(item);
  while ($("events").children.length > MAX_ENTRIES) $("events").lastElementChild.remove();
  $("no-events").hidden = true;
}

function matches(item) {
  const filter = $("filter").value.trim().toLowerCase();
  return !filter || item.textContent.toLowerCase().includes(filter);
}

async function trigger(event) {
  event.preventDefault();
  const app = currentApp();
  const key = state.role === "admin" ? app.secret : state.credential;
  const raw = $("trigger-data").value;
  let data = raw;
  try { data = JSON.parse(raw); } catch { /* sent as text */ }
  const body = { channels: [$("trigger-channel").value.trim()], event: $("trigger-event").value.trim(), data };
  const response = await fetch("/events", {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  $("trigger-result").textContent = response.ok
    ? `Sent: ${answer.triggered ?? 0} local subscriber(s) reached.`
    : `Refused (${response.status}): ${answer.error || "unknown error"}`;
}

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("sign-in-error").textContent = "";
    try { await signIn($("credential").value.trim()); } catch (error) { $("sign-in-error").textContent = error.message; }
  });
  $("sign-out").addEventListener("click", signOut);
  $("app").addEventListener("change", () => { $("events").replaceChildren(); state.seen = 0; watch(); });
  $("trigger-form").addEventListener("submit", trigger);
  $("pause").addEventListener("click", () => { state.paused = !state.paused; $("pause").textContent = state.paused ? "Resume" : "Pause"; });
  $("clear").addEventListener("click", () => { $("events").replaceChildren(); $("no-events").hidden = false; });
  $("filter").addEventListener("input", () => { for (const item of $("events").children) item.hidden = !matches(item); });
});
