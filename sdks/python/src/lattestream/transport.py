"""One signed REST call with its retries, over ``urllib``: each attempt gets a fresh timestamp, nonce and
timeout, a 429 is retried after the server's ``Retry-After``, and an error answer becomes an
:class:`ApiError` with the documented code."""

from __future__ import annotations

import email.utils
import json
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Tuple

from .errors import ApiError, ConnectionError, ErrorCode, RateLimitError
from .signing import signature_headers

USER_AGENT = "lattestream-python/0.1.0"


@dataclass(frozen=True)
class Transport:
    """How requests are sent; filled from the server's options."""

    base_url: str
    key: str
    timeout: float
    max_retries: int
    sleep: Callable[[float], None]

    def send(self, method: str, path: str, body: Any = None) -> Tuple[int, str]:
        """Sends ``method path`` with ``body`` (JSON, or none) until it succeeds or may not retry."""
        text = "" if body is None else json.dumps(body, separators=(",", ":"))
        attempt = 0
        while True:
            status, answer, headers = self._attempt(method, path, text)
            if 200 <= status < 300:
                return status, answer
            error = _to_error(status, answer, headers.get("Retry-After"))
            if not isinstance(error, RateLimitError) or attempt >= self.max_retries:
                raise error
            self.sleep(error.retry_after)
            attempt += 1

    def _attempt(self, method: str, path: str, text: str) -> Tuple[int, str, Mapping[str, str]]:
        headers = {
            "Authorization": f"Bearer {self.key}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            **signature_headers(self.key, method, path, text),
        }
        if text:
            headers["Content-Type"] = "application/json"
        data = text.encode() if text else None
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, response.read().decode(), response.headers
        except urllib.error.HTTPError as e:
            with e:
                return e.code, e.read().decode(errors="replace"), e.headers
        except (socket.timeout, TimeoutError):
            raise ConnectionError(f"{method} {path}: no answer within {self.timeout} s", ErrorCode.TIMEOUT) from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            if isinstance(reason, (socket.timeout, TimeoutError)):
                raise ConnectionError(f"{method} {path}: no answer within {self.timeout} s", ErrorCode.TIMEOUT) from None
            raise ConnectionError(f"{method} {path}: {reason}", ErrorCode.CONNECTION_ERROR) from None


def _to_error(status: int, text: str, retry_after: Optional[str]) -> ApiError:
    """The documented error body ``{error, code, details?, retry_after?}`` as an error, or an HTTP_ERROR."""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    message = body["error"] if isinstance(body.get("error"), str) else f"HTTP {status}"
    details = body.get("details") if isinstance(body.get("details"), dict) else None
    if status == 429:
        return RateLimitError(message, status, _retry_after_seconds(retry_after, body.get("retry_after")), details)
    code = body["code"] if isinstance(body.get("code"), str) else ErrorCode.HTTP_ERROR
    return ApiError(message, code, status, details)


def _retry_after_seconds(header: Optional[str], from_body: Any) -> float:
    """``Retry-After`` in seconds: the header (seconds or an HTTP date), else the body's, else 1."""
    for raw in (header, from_body):
        try:
            seconds = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if seconds >= 0:
            return seconds
    if header:
        try:
            when = email.utils.parsedate_to_datetime(header).timestamp()
            return max(0.0, when - time.time())
        except (TypeError, ValueError):
            pass
    return 1.0
