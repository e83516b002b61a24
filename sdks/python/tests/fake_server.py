"""A stand-in LatteStream server on 127.0.0.1:0 for the unit tests: it records every request, checks each
signature the way the real server does (computed here independently of the SDK), and answers from a queue
of scripted replies."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY = "lsk_unit_test_key"


def expected_signature(method, target, body, timestamp, nonce):
    message = f"{method}\n{target}\n{body}{timestamp}{nonce}".encode()
    return hmac.new(KEY.encode(), message, hashlib.sha256).hexdigest()


class FakeServer:
    """Replies are ``(status, body, headers)`` tuples or callables of the recorded request returning one;
    when they run out, ``200 {}`` is answered."""

    def __init__(self):
        self.requests = []
        self.replies = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self._answer()

            def do_POST(self):
                self._answer()

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                h = self.headers
                record = {
                    "method": self.command,
                    "target": self.path,
                    "headers": h,
                    "body": body,
                    "json": json.loads(body) if body else None,
                    "signature_valid": h.get("X-LatteStream-Signature")
                    == expected_signature(
                        self.command, self.path, body, h.get("X-LatteStream-Timestamp"), h.get("X-LatteStream-Nonce")
                    ),
                }
                fake.requests.append(record)
                reply = fake.replies.pop(0) if fake.replies else (200, {}, {})
                if callable(reply):
                    reply = reply(record)
                status, payload, headers = reply
                text = payload if isinstance(payload, str) else json.dumps(payload)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(text.encode())))
                self.end_headers()
                self.wfile.write(text.encode())

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # a client that timed out and left: nothing to answer

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.01,), daemon=True).start()

    @property
    def last(self):
        return self.requests[-1]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
