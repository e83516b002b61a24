"""Webhooks checked by the Python `pusher` library: `validate_webhook` on the X-Pusher-Key and
X-Pusher-Signature pair of every request a real receiver got, and the raw-body check of
docs/webhooks.md on X-LatteStream-Signature. The app and its endpoint come from the environment."""

import hashlib
import hmac
import json
import os
import queue
import re
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pusher
import pytest
import websocket

from conftest import ANSI, APP_ID, KEY, SECRET, _binary

ENDPOINT_SECRET = "whsec_pycompat"
WAIT = 10  # seconds: a bound against hangs, not a measurement


class Receiver(BaseHTTPRequestHandler):
    """Answers 200 and keeps (headers, raw body) of every POST."""

    received = queue.Queue()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.put((self.headers, body))  # case-insensitive names
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def hooked():
    """A receiver and a server whose env app sends it webhooks; yields (server port, received queue)."""
    http = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    hooks = [{"url": f"http://127.0.0.1:{http.server_address[1]}/hooks", "secret": ENDPOINT_SECRET}]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LATTESTREAM_")}
    env.update(LATTESTREAM_APP_ID=APP_ID, LATTESTREAM_APP_KEY=KEY, LATTESTREAM_APP_SECRET=SECRET,
               LATTESTREAM_APP_WEBHOOKS=json.dumps(hooks), LATTESTREAM_WEBHOOKS__BATCH_WINDOW="50ms",
               LATTESTREAM_WEBHOOKS__DEBOUNCE="100ms", LATTESTREAM_LOG="info", NO_COLOR="1")
    args = [_binary(), "--addr", "127.0.0.1:0", "--data-dir", tempfile.mkdtemp(prefix="ls-pyhooks-")]
    proc = subprocess.Popen(args, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    port = None
    for line in proc.stderr:
        match = re.search(r"serving addr=127\.0\.0\.1:(\d+)", ANSI.sub("", line))
        if match:
            port = int(match.group(1))
            break
    assert port, "the server did not report its address"
    threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
    yield port, Receiver.received
    proc.terminate()
    proc.wait(timeout=15)
    http.shutdown()


def verify_raw(raw_body, signature, secret):
    expected = hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def test_every_webhook_validates_with_the_pusher_library(hooked):
    port, received = hooked
    ws = websocket.create_connection(f"ws://127.0.0.1:{port}/app/{KEY}?protocol=7", timeout=WAIT)
    assert json.loads(ws.recv())["event"] == "pusher:connection_established"
    ws.send(json.dumps({"event": "pusher:subscribe", "data": {"channel": "py-hooks"}}))
    assert json.loads(ws.recv())["event"] == "pusher_internal:subscription_succeeded"
    ws.close()
    library = pusher.Pusher(app_id=APP_ID, key=KEY, secret=SECRET)
    names = []
    deadline = time.monotonic() + WAIT
    while "channel_vacated" not in names:
        headers, raw = received.get(timeout=max(0.1, deadline - time.monotonic()))
        validated = library.validate_webhook(headers["X-Pusher-Key"], headers["X-Pusher-Signature"], raw)
        assert validated is not None, raw
        assert verify_raw(raw, headers["X-LatteStream-Signature"], ENDPOINT_SECRET)
        assert not verify_raw(raw + b" ", headers["X-LatteStream-Signature"], ENDPOINT_SECRET)
        names += [e["name"] for e in validated["events"] if e["channel"] == "py-hooks"]
    assert [n for n in names if n != "subscription_count"] == ["channel_occupied", "channel_vacated"]
