"""``LatteStreamServer``: the REST API of a LatteStream server (events, batches, access tokens, channel and
user queries, terminating a user) as typed methods, plus what needs only the private key and no request:
channel authorization and webhook verification. ``AsyncLatteStreamServer`` offers the same as coroutines."""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from typing import Any, Callable, Iterable, List, Mapping, Optional, Sequence, Union
from urllib.parse import quote, urlencode

from .auth import authorize_channel
from .endpoint import resolve_base_url
from .errors import ApiError, ErrorCode, ValidationError
from .signing import verify_webhook_signature
from .transport import Transport
from .types import (
    AccessToken,
    BatchResult,
    ChannelAuth,
    ChannelInfo,
    ChannelList,
    ChannelSummary,
    TriggerResult,
    User,
    UserList,
    members_of,
)

Channels = Union[str, Sequence[str]]


class LatteStreamServer:
    """A client of one app's REST API, identified by the app's private key (``lsk_…``).

    Where requests go: ``ws_endpoint`` (``"127.0.0.1:6001"`` with ``use_tls=False``, or a whole URL), else
    the ``LATTESTREAM_URL`` environment variable, else ``https://{cluster}.lattestream.com``."""

    def __init__(
        self,
        private_key: str,
        ws_endpoint: Optional[str] = None,
        *,
        host: Optional[str] = None,
        use_tls: Optional[bool] = None,
        cluster: Optional[str] = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not isinstance(private_key, str) or not private_key.startswith("lsk_"):
            raise ValidationError("The private key must start with lsk_", ErrorCode.INVALID_CONFIG)
        self._key = private_key
        base_url = resolve_base_url(os.environ, ws_endpoint or host, use_tls, cluster)
        self._transport = Transport(base_url, private_key, timeout, max_retries, sleep)

    @property
    def base_url(self) -> str:
        """The server this client talks to (``scheme://host:port``)."""
        return self._transport.base_url

    def trigger(
        self, channels: Channels, event: str, data: Any = None, socket_id: Optional[str] = None
    ) -> TriggerResult:
        """Publishes ``event`` with ``data`` on one channel or several, in one ``POST /events``;
        ``socket_id`` names a connection that does not receive it."""
        names = [channels] if isinstance(channels, str) else list(channels)
        if not names:
            raise ValidationError("At least one channel is needed", ErrorCode.MISSING_PARAMETER)
        body = _compact({"channels": names, "event": event, "data": data, "socket_id": socket_id})
        wire = self._call("POST", "/events", body)
        return TriggerResult(wire["channels"], wire["event"], wire["triggered"])

    def batch_trigger(self, events: Iterable[Mapping[str, Any]]) -> BatchResult:
        """Publishes several events (``{"channel", "event" or "name", "data", "socket_id"}``) in one
        ``POST /batch_events``; an entry naming several channels becomes one entry per channel."""
        batch = [entry for i, e in enumerate(events) for entry in _batch_entries(e, i)]
        if not batch:
            raise ValidationError("At least one event is needed", ErrorCode.MISSING_PARAMETER)
        wire = self._call("POST", "/batch_events", {"batch": batch})
        return BatchResult(int(wire["batch_id"]), wire["total_events"], wire["total_triggered"])

    #: The official Node SDK's name for :meth:`batch_trigger`.
    trigger_batch = batch_trigger

    def authorize_channel(
        self, socket_id: str, channel_name: str, presence_data: Optional[Union[Mapping[str, Any], str]] = None
    ) -> ChannelAuth:
        """Authorizes a socket on a ``private-…`` or ``presence-…`` channel, locally (no request). Return
        the dict to the client as is: ``{"auth"}`` or ``{"auth", "channel_data"}``."""
        return authorize_channel(self._key, socket_id, channel_name, presence_data)

    def create_access_token(
        self, user_id: str, permissions: Optional[List[str]] = None, expires_in: Optional[int] = None
    ) -> AccessToken:
        """Issues an access token (``POST /apps/token``) for ``user_id``, the identity a client connects as."""
        body = _compact({"socket_id": user_id, "permissions": permissions, "expires_in": expires_in})
        wire = self._call("POST", "/apps/token", body)
        return AccessToken(wire["access_token"], wire["token_type"], wire["expires_in"], wire["tenant_id"])

    def get_channels(self, filter_by_prefix: Optional[str] = None) -> ChannelList:
        """Occupied channels (``GET /channels``), optionally only those whose names start with the prefix."""
        query = f"?{urlencode({'filter_by_prefix': filter_by_prefix})}" if filter_by_prefix else ""
        wire = self._call("GET", f"/channels{query}")
        channels = [
            ChannelSummary(c["channel"], c["member_count"], members_of(c)) for c in wire.get("channels", [])
        ]
        return ChannelList(channels, wire.get("total_channels", len(channels)))

    def get_channel_info(self, channel: str) -> ChannelInfo:
        """One channel (``GET /channels/{name}``); an unoccupied channel is ``occupied=False``, not an error."""
        wire = self._call("GET", f"/channels/{quote(channel, safe='')}")
        return ChannelInfo(
            wire["channel"],
            wire["occupied"],
            wire["member_count"],
            members_of(wire),
            wire.get("subscription_count"),
            wire.get("user_count"),
        )

    def get_users(self, channel: str) -> UserList:
        """The users of a presence channel (``GET /channels/{name}/users``)."""
        wire = self._call("GET", f"/channels/{quote(channel, safe='')}/users")
        return UserList([User(u["id"], u.get("user_info")) for u in wire.get("users", [])])

    def terminate_user_connections(self, user_id: str) -> int:
        """Closes every connection acting for ``user_id``; returns how many the answering node closed."""
        if not isinstance(user_id, str) or not user_id:
            raise ValidationError("A user id is needed", ErrorCode.MISSING_PARAMETER)
        wire = self._call("POST", f"/users/{quote(user_id, safe='')}/terminate_connections", {})
        return int(wire["terminated"])

    def verify_webhook_signature(
        self, body: Union[str, bytes], signature: Optional[str], secret: Optional[str] = None
    ) -> bool:
        """Whether a webhook's signature header matches its raw body; ``secret`` defaults to this app's
        private key (``X-Pusher-Signature``); give the endpoint's secret for ``X-LatteStream-Signature``."""
        return verify_webhook_signature(body, signature, self._key if secret is None else secret)

    def _call(self, method: str, path: str, body: Any = None) -> Mapping[str, Any]:
        status, text = self._transport.send(method, path, body)
        try:
            wire = json.loads(text) if text else {}
        except ValueError:
            raise ApiError(f"The server answered {status} with a body that is not JSON", ErrorCode.HTTP_ERROR, status)
        return wire if isinstance(wire, dict) else {}


class AsyncLatteStreamServer:
    """The same client for ``asyncio`` code: each REST call runs in a worker thread (``asyncio.to_thread``),
    so the event loop never blocks; local operations stay plain methods."""

    def __init__(self, private_key: str, ws_endpoint: Optional[str] = None, **options: Any) -> None:
        self.sync = LatteStreamServer(private_key, ws_endpoint, **options)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.sync, name)
        if name in _LOCAL or not callable(method):
            return method

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(method, *args, **kwargs)

        return call


_LOCAL = {"authorize_channel", "verify_webhook_signature"}


def _compact(body: Mapping[str, Any]) -> Mapping[str, Any]:
    return {k: v for k, v in body.items() if v is not None}


def _batch_entries(e: Mapping[str, Any], index: int) -> List[Mapping[str, Any]]:
    name = e.get("event", e.get("name"))
    if not isinstance(name, str):
        raise ValidationError(f"Batch entry {index} has no event name", ErrorCode.MISSING_PARAMETER)
    channel = e.get("channel")
    channels = [channel] if isinstance(channel, str) else list(channel or [])
    socket_id = e.get("socket_id", e.get("socketId"))
    return [_compact({"channel": c, "name": name, "data": e.get("data"), "socket_id": socket_id}) for c in channels]
