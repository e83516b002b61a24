"""Webhooks checked by the Python `pusher` library: `validate_webhook` on the X-Pusher-Key and
X-Pusher-Signature pair of every request a real receiver got, and the raw-body check of
docs/webhooks.md on X-LatteStream-Signature. The app and its endpoint come from the environment."""

import hashlib
import hmac
import json
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pusher
import pytest
import websocket

from conftest import APP_ID, KEY, SECRET, spawn_server

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
    proc, port = spawn_server({
        "LATTESTREAM_APP_WEBHOOKS": json.dumps(hooks),
        "LATTESTREAM_WEBHOOKS__BATCH_WINDOW": "50ms",
        "LATTESTREAM_WEBHOOKS__DEBOUNCE": "100ms",
    })
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
