"""Where the SDK sends its requests: the ``ws_endpoint`` / ``host`` option (with ``use_tls``), else the
``LATTESTREAM_URL`` environment variable (a self-hosted server, ``http://127.0.0.1:6001``), else the hosted
service ``https://{cluster}.lattestream.com``."""

from __future__ import annotations

from typing import Mapping, Optional
from urllib.parse import urlsplit

from .errors import ErrorCode, ValidationError

#: The environment variable naming a self-hosted server.
URL_ENV = "LATTESTREAM_URL"

_SCHEMES = {"http": "http", "https": "https", "ws": "http", "wss": "https"}


def resolve_base_url(
    env: Mapping[str, str],
    ws_endpoint: Optional[str] = None,
    use_tls: Optional[bool] = None,
    cluster: Optional[str] = None,
) -> str:
    """The base URL (``scheme://host[:port]``) the options and environment pick."""
    scheme = "http" if use_tls is False else "https"
    if ws_endpoint:
        raw = ws_endpoint if "://" in ws_endpoint else f"{scheme}://{ws_endpoint}"
        return _normalize(raw, "ws_endpoint")
    from_env = env.get(URL_ENV, "").strip()
    if from_env:
        return _normalize(from_env, URL_ENV)
    return f"{scheme}://{cluster or 'eu1'}.lattestream.com"


def _normalize(raw: str, source: str) -> str:
    """Checks a configured URL and reduces it to its origin; ``ws``/``wss`` mean ``http``/``https``."""
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise ValidationError(f"{source} is not a URL: {raw}", ErrorCode.INVALID_CONFIG) from None
    scheme = _SCHEMES.get(parts.scheme)
    if scheme is None or not parts.hostname:
        raise ValidationError(f"{source} must be an http(s) URL: {raw}", ErrorCode.INVALID_CONFIG)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValidationError(
            f"{source} must name only scheme, host and port (the API is served at the root): {raw}",
            ErrorCode.INVALID_CONFIG,
        )
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{scheme}://{host}" + (f":{port}" if port is not None else "")
