"""The shapes of the SDK's results: frozen dataclasses with the wire's (snake_case) field names, and the
channel authorization as a plain dict, ready for ``json.dumps``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Mapping, Optional, TypedDict


class _ChannelAuthBase(TypedDict):
    auth: str


class ChannelAuth(_ChannelAuthBase, total=False):
    """What a client sends in its subscribe: ``auth``, and for presence channels ``channel_data``, the
    member data exactly as signed."""

    channel_data: str


@dataclass(frozen=True)
class TriggerResult:
    """The answer of ``POST /events``; ``triggered`` counts the answering node's receiving connections."""

    channels: List[str]
    event: str
    triggered: int


@dataclass(frozen=True)
class BatchResult:
    """The answer of ``POST /batch_events``; ``batch_id`` is nanoseconds since the epoch."""

    batch_id: int
    total_events: int
    total_triggered: int


@dataclass(frozen=True)
class AccessToken:
    """The answer of ``POST /apps/token``."""

    access_token: str
    token_type: str
    expires_in: int
    tenant_id: str


@dataclass(frozen=True)
class Member:
    """A presence member as the channel queries list it."""

    user_id: str
    user_info: Any = None
    socket_id: Optional[str] = None


@dataclass(frozen=True)
class ChannelSummary:
    """One channel of ``GET /channels``: subscriptions, or distinct users on presence channels."""

    channel: str
    member_count: int
    members: Optional[List[Member]] = None


@dataclass(frozen=True)
class ChannelList:
    """The answer of ``GET /channels``."""

    channels: List[ChannelSummary]
    total_channels: int


@dataclass(frozen=True)
class ChannelInfo:
    """The answer of ``GET /channels/{name}``; an unoccupied channel has ``occupied=False``."""

    channel: str
    occupied: bool
    member_count: int
    members: Optional[List[Member]] = None
    subscription_count: Optional[int] = None
    user_count: Optional[int] = None


@dataclass(frozen=True)
class User:
    """A user of a presence channel."""

    id: str
    user_info: Any = None


@dataclass(frozen=True)
class UserList:
    """The answer of ``GET /channels/{name}/users``."""

    users: List[User] = field(default_factory=list)


def members_of(wire: Mapping[str, Any]) -> Optional[List[Member]]:
    """The ``members`` of a channel answer, when it has them."""
    raw = wire.get("members")
    if not isinstance(raw, list):
        return None
    return [Member(m.get("user_id"), m.get("user_info"), m.get("socket_id")) for m in raw]
