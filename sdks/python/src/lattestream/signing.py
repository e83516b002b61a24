"""The HMAC-SHA256 signatures the SDK makes and checks: signed REST requests (``X-LatteStream-Signature``
over ``METHOD\\npath-with-query\\nbody + timestamp + nonce``), and webhook signatures (hex HMAC of the raw
body), compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Dict, Optional, Union


def hmac_hex(key: str, message: Union[str, bytes]) -> str:
    """Hex HMAC-SHA256 of ``message`` keyed with ``key``."""
    data = message.encode() if isinstance(message, str) else message
    return hmac.new(key.encode(), data, hashlib.sha256).hexdigest()


def signature_headers(
    key: str, method: str, target: str, body: str, now: Optional[float] = None
) -> Dict[str, str]:
    """The three headers of a signed request, as the server checks them (docs/authentication.md)."""
    timestamp = str(int(time.time() if now is None else now))
    nonce = secrets.token_hex(16)
    return {
        "X-LatteStream-Timestamp": timestamp,
        "X-LatteStream-Nonce": nonce,
        "X-LatteStream-Signature": hmac_hex(key, f"{method}\n{target}\n{body}{timestamp}{nonce}"),
    }


def verify_webhook_signature(body: Union[str, bytes], signature: Optional[str], secret: str) -> bool:
    """Whether ``signature`` (hex, either case) is the HMAC-SHA256 of the exact raw ``body`` keyed with
    ``secret``, as LatteStream signs webhooks in ``X-LatteStream-Signature`` (and ``X-Pusher-Signature``
    with the app's private key). Pass the body exactly as received; the comparison is constant-time."""
    if not isinstance(signature, str):
        return False
    try:
        given = bytes.fromhex(signature.strip())
    except ValueError:
        return False
    data = body.encode() if isinstance(body, str) else body
    expected = hmac.new(secret.encode(), data, hashlib.sha256).digest()
    return hmac.compare_digest(expected, given)
