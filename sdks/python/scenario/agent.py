"""The Python SDK's agent for the shared scenario (sdks/scenario/): reads one JSON command per line on
stdin, performs it with ``lattestream``, writes one JSON answer per line on stdout, with the results in the
wire's field names so the driver checks every SDK the same way."""

import dataclasses
import json
import sys

from lattestream import LatteStreamError, LatteStreamServer, verify_webhook_signature


def _plain(value):
    """Dataclasses as dicts, dropping fields the server did not send."""
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value) if getattr(value, f.name) is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _channel(value):
    out = _plain(value)
    for m in out.get("members", []):
        m.setdefault("user_info", None)
    return out


def _batch(server, command):
    result = server.batch_trigger(command["batch"])
    return {"batch_id": str(result.batch_id), "total_events": result.total_events, "total_triggered": result.total_triggered}


def _channels(listing):
    return {"channels": [_channel(ch) for ch in listing.channels], "total_channels": listing.total_channels}


OPS = {
    "trigger": lambda s, c: _plain(s.trigger(c["channels"], c["event"], c.get("data"), socket_id=c.get("socket_id"))),
    "batch_trigger": lambda s, c: _batch(s, c),
    "authorize": lambda s, c: s.authorize_channel(c["socket_id"], c["channel"], c.get("presence")),
    "token": lambda s, c: _plain(s.create_access_token(c["user_id"], c.get("permissions"), c.get("expires_in"))),
    "channels": lambda s, c: _channels(s.get_channels(c.get("prefix"))),
    "channel": lambda s, c: _channel(s.get_channel_info(c["name"])),
    "users": lambda s, c: {"users": [{"id": u.id, "user_info": u.user_info} for u in s.get_users(c["name"]).users]},
    "terminate": lambda s, c: {"terminated": s.terminate_user_connections(c["user_id"])},
    "verify_webhook": lambda s, c: {"valid": verify_webhook_signature(c["body"], c["signature"], c["secret"])},
    "base_url": lambda s, c: {"base_url": s.base_url},
}


def handle(command):
    options = {} if command.get("max_retries") is None else {"max_retries": command["max_retries"]}
    try:
        server = LatteStreamServer(command["key"], **options)
        return {"id": command["id"], "ok": OPS[command["op"]](server, command)}
    except LatteStreamError as e:
        error = {"type": type(e).__name__, "code": e.code, "message": e.message}
        error.update({k: getattr(e, k) for k in ("status", "retry_after") if hasattr(e, k)})
        return {"id": command["id"], "error": error}


for line in sys.stdin:
    if line.strip():
        print(json.dumps(handle(json.loads(line))), flush=True)
