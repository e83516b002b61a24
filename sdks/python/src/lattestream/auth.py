"""Channel authorization computed locally with the private key, in the form the server accepts from the
official SDK: ``SOCKET_ID:HEX``, HEX = hex HMAC-SHA256 over ``socket_id:channel[:channel_data]``. The result
is what a client sends as is: ``auth``, and for presence channels ``channel_data`` — the exact string that
was signed."""

from __future__ import annotations

import json
import re
from typing import Any, Mapping, Optional, Union

from .errors import ErrorCode, ValidationError
from .signing import hmac_hex
from .types import ChannelAuth

_CHANNEL = re.compile(r"[A-Za-z0-9_\-=@,.;]{1,164}")
_SOCKET_ID = re.compile(r"[0-9]+\.[0-9]+")


def authorize_channel(
    key: str,
    socket_id: str,
    channel: str,
    presence: Optional[Union[Mapping[str, Any], str]] = None,
) -> ChannelAuth:
    """Authorizes ``socket_id`` on a ``private-…`` or ``presence-…`` channel; ``presence`` (member data with a
    ``user_id``) is required for the latter."""
    if not isinstance(socket_id, str) or not _SOCKET_ID.fullmatch(socket_id):
        raise ValidationError(f"Invalid socket id: {socket_id!r}", ErrorCode.INVALID_SOCKET_ID)
    if not isinstance(channel, str) or not _CHANNEL.fullmatch(channel):
        raise ValidationError(f"Invalid channel name: {channel!r}", ErrorCode.INVALID_CHANNEL)
    if channel.startswith("presence-"):
        data = _presence_channel_data(presence)
        signature = hmac_hex(key, f"{socket_id}:{channel}:{data}")
        return {"auth": f"{socket_id}:{signature}", "channel_data": data}
    if channel.startswith("private-"):
        return {"auth": f"{socket_id}:{hmac_hex(key, f'{socket_id}:{channel}')}"}
    raise ValidationError(f"Public channels need no authorization: {channel}", ErrorCode.INVALID_CHANNEL)


def _presence_channel_data(presence: Optional[Union[Mapping[str, Any], str]]) -> str:
    """The member data as the string to sign: given strings as they are, mappings as compact JSON."""
    if isinstance(presence, str):
        text = presence
    else:
        text = json.dumps(presence, separators=(",", ":"), ensure_ascii=False)
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    user_id = parsed.get("user_id") if isinstance(parsed, dict) else None
    valid = (isinstance(user_id, str) and user_id != "") or (
        isinstance(user_id, (int, float)) and not isinstance(user_id, bool)
    )
    if not valid:
        raise ValidationError(
            "Presence channels need member data with a user_id (a non-empty string or a number)",
            ErrorCode.MISSING_USER_ID,
        )
    return text
