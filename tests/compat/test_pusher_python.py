"""The `pusher` server library from PyPI and the `pysher` client, pointed at LatteStream with a custom
host, port and plain HTTP: triggers, batches, channel and user queries, channel authorization, user
sign-in, send-to-user, terminate, and refused requests."""

import json
import queue
import time

import pusher
import pysher
import pytest
import websocket

from conftest import APP_ID, KEY, SECRET

WAIT = 5  # seconds: a bound against hangs, not a measurement


def subscriptions(port, channel):
    """Connections subscribed to `channel`, as the Pusher HTTP API reports them."""
    info = server_lib(port).channel_info(channel, ["subscription_count"])
    return info.get("subscription_count", 0)


def server_lib(port, secret=SECRET):
    return pusher.Pusher(app_id=APP_ID, key=KEY, secret=secret, host="127.0.0.1", port=port, ssl=False)


class Client:
    """A pysher client whose received events land in a queue."""

    def __init__(self, port, user_data=None):
        self.port = port
        self.events = queue.Queue()
        connected = queue.Queue()
        self.pysher = pysher.Pusher(KEY, custom_host="127.0.0.1", port=port, secure=False,
                                    secret=SECRET, user_data=user_data or {}, reconnect_interval=1)
        self.pysher.connection.bind("pusher:connection_established", lambda data: connected.put(data))
        self.pysher.connect()
        connected.get(timeout=WAIT)
        self.socket_id = self.pysher.connection.socket_id

    def subscribe(self, channel, events, auth=None):
        """Subscribes and waits until the server counts the new subscription (pysher may see
        `subscription_succeeded` before a callback could be bound, so the server is asked instead)."""
        before = subscriptions(self.port, channel)
        ch = self.pysher.subscribe(channel, auth=auth)
        for name in events:
            ch.bind(name, lambda data, name=name: self.events.put((name, data)))
        deadline = time.monotonic() + WAIT
        while subscriptions(self.port, channel) <= before:
            assert time.monotonic() < deadline, f"no subscription to {channel}"
            time.sleep(0.02)
        return ch

    def next(self):
        return self.events.get(timeout=WAIT)

    def close(self):
        self.pysher.disconnect(timeout=1)  # its reader thread may linger; it is a daemon


def test_trigger_reaches_pysher(server):
    client = Client(server)
    client.subscribe("py-news", ["headline"])
    result = server_lib(server).trigger("py-news", "headline", {"title": "hello"})
    assert result == {} or isinstance(result, dict)
    name, data = client.next()
    assert (name, json.loads(data)) == ("headline", {"title": "hello"})
    client.close()


def test_trigger_batch_and_exclusion(server):
    a, b = Client(server), Client(server)
    a.subscribe("py-batch", ["one", "two"])
    b.subscribe("py-batch", ["one", "two"])
    server_lib(server).trigger_batch([
        {"channel": "py-batch", "name": "one", "data": json.dumps({"n": 1})},
        {"channel": "py-batch", "name": "two", "data": json.dumps({"n": 2}), "socket_id": a.socket_id},
    ])
    assert [a.next()[0], b.next()[0], b.next()[0]] == ["one", "one", "two"]
    server_lib(server).trigger("py-batch", "one", {"n": 3}, socket_id=b.socket_id)
    assert a.next()[0] == "one"
    a.close()
    b.close()


def test_channel_queries_count_users_and_subscriptions(server):
    lib = server_lib(server)
    alice1 = Client(server, {"user_id": "alice"})
    alice2 = Client(server, {"user_id": "alice"})
    bob = Client(server, {"user_id": "bob", "user_info": {"name": "Bob"}})
    for c in (alice1, alice2, bob):
        c.subscribe("presence-py", [])
    info = lib.channel_info("presence-py", ["user_count", "subscription_count"])
    assert info["occupied"] is True
    assert (info["user_count"], info["subscription_count"]) == (2, 3)
    listed = lib.channels_info(prefix_filter="presence-", attributes=["user_count"])
    assert listed["channels"]["presence-py"]["user_count"] == 2
    users = lib.users_info("presence-py")
    assert sorted(u["id"] for u in users["users"]) == ["alice", "bob"]
    for c in (alice1, alice2, bob):
        c.close()


def test_authenticate_signs_private_channels_the_server_accepts(server):
    client = Client(server)
    auth = server_lib(server).authenticate(channel="private-py", socket_id=client.socket_id)
    client.subscribe("private-py", ["secret"], auth=auth["auth"])
    server_lib(server).trigger("private-py", "secret", {"ok": True})
    assert client.next()[0] == "secret"
    client.close()


def test_signin_send_to_user_and_terminate(server):
    lib = server_lib(server)
    ws = websocket.create_connection(f"ws://127.0.0.1:{server}/app/{KEY}?protocol=7&client=py", timeout=WAIT)
    established = json.loads(ws.recv())
    socket_id = json.loads(established["data"])["socket_id"]
    signed = lib.authenticate_user(socket_id, {"id": "py-user"})
    ws.send(json.dumps({"event": "pusher:signin", "data": signed}))
    assert json.loads(ws.recv())["event"] == "pusher:signin_success"
    lib.send_to_user("py-user", "direct", {"hi": 1})
    frame = json.loads(ws.recv())
    assert (frame["event"], json.loads(frame["data"])) == ("direct", {"hi": 1})
    lib.terminate_user_connections("py-user")
    error = json.loads(ws.recv())
    assert error["event"] == "pusher:error" and error["data"]["code"] == 4009
    ws.close()


def test_a_wrong_secret_is_refused(server):
    with pytest.raises(pusher.errors.PusherBadAuth):
        server_lib(server, secret="lsk_wrong").trigger("py-news", "x", {})
