"""Shared fixtures of the Python compatibility suite: a real LatteStream server on a free port."""

import os
import re
import subprocess
import tempfile
import threading

import pytest

APP_ID = "1"
KEY = "lspk_pycompat"
SECRET = "lsk_pycompat_secret"
HERE = os.path.dirname(os.path.abspath(__file__))
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _binary():
    default = os.path.join(HERE, "..", "..", "target", "debug", "lattestream")
    return os.path.abspath(os.environ.get("LATTESTREAM_BIN", default))


def spawn_server(extra_env=None):
    """Starts the server binary with one app from the environment (plus `extra_env`); returns the
    process and its port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LATTESTREAM_")}
    env.update(
        LATTESTREAM_APP_ID=APP_ID,
        LATTESTREAM_APP_KEY=KEY,
        LATTESTREAM_APP_SECRET=SECRET,
        LATTESTREAM_APP_CLIENT_EVENTS="true",
        LATTESTREAM_APP_RATE_LIMIT="false",
        LATTESTREAM_LOG="info",
        NO_COLOR="1",
    )
    env.update(extra_env or {})
    data_dir = tempfile.mkdtemp(prefix="ls-pycompat-")
    args = [_binary(), "--addr", "127.0.0.1:0", "--data-dir", data_dir]
    proc = subprocess.Popen(args, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    port = None
    for line in proc.stderr:
        match = re.search(r"addr=127\.0\.0\.1:(\d+)", ANSI.sub("", line))
        if match:
            port = int(match.group(1))
            break
    assert port, "the server did not report its address"
    threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
    return proc, port


@pytest.fixture(scope="module")
def server():
    """Starts the server binary with one app from the environment; yields its port; stops it."""
    proc, port = spawn_server()
    yield port
    proc.terminate()
    proc.wait(timeout=15)
