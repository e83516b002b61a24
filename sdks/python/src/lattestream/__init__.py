"""``lattestream``: the LatteStream server SDK for Python 3.9+, standard library only.

>>> from lattestream import LatteStreamServer
>>> server = LatteStreamServer('lsk_your_private_key')   # LATTESTREAM_URL, else the hosted service
"""

from .auth import authorize_channel
from .endpoint import URL_ENV, resolve_base_url
from .errors import (
    ApiError,
    ConnectionError,
    ErrorCode,
    LatteStreamError,
    RateLimitError,
    ValidationError,
)
from .server import AsyncLatteStreamServer, LatteStreamServer
from .signing import verify_webhook_signature
from .types import (
    AccessToken,
    BatchResult,
    ChannelAuth,
    ChannelInfo,
    ChannelList,
    ChannelSummary,
    Member,
    TriggerResult,
    User,
    UserList,
)

__version__ = "0.1.0"

__all__ = [
    "AccessToken",
    "ApiError",
    "AsyncLatteStreamServer",
    "BatchResult",
    "ChannelAuth",
    "ChannelInfo",
    "ChannelList",
    "ChannelSummary",
    "ConnectionError",
    "ErrorCode",
    "LatteStreamError",
    "LatteStreamServer",
    "Member",
    "RateLimitError",
    "TriggerResult",
    "URL_ENV",
    "User",
    "UserList",
    "ValidationError",
    "authorize_channel",
    "resolve_base_url",
    "verify_webhook_signature",
]
