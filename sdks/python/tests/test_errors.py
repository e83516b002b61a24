"""Errors carry the documented code; 429s are retried after Retry-After; concurrent calls are independent."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from fake_server import KEY
from lattestream import ApiError, ConnectionError, LatteStreamServer, RateLimitError

LIMITED = (429, {"error": "Rate limit exceeded", "code": "RATE_LIMIT_EXCEEDED", "retry_after": 2}, {"Retry-After": "2"})


def test_a_documented_error_body_becomes_an_api_error(fake, client):
    fake.replies.append((400, {"error": "Invalid channel name", "code": "INVALID_CHANNEL", "details": {"channel": "a b"}}, {}))
    with pytest.raises(ApiError) as e:
        client().trigger("a b", "e", {})
    assert (e.value.status, e.value.code, e.value.details) == (400, "INVALID_CHANNEL", {"channel": "a b"})
    assert str(e.value) == "Invalid channel name"


def test_an_answer_that_is_not_the_documented_body_is_http_error(fake, client):
    fake.replies.append((502, "<html>bad gateway</html>", {}))
    with pytest.raises(ApiError) as e:
        client().get_channels()
    assert (e.value.code, e.value.status) == ("HTTP_ERROR", 502)


def test_a_429_is_retried_after_retry_after_each_attempt_signed_anew(fake, client):
    waits = []
    fake.replies.extend([LIMITED, LIMITED, (200, {"channels": ["a"], "event": "e", "triggered": 1}, {})])
    assert client(sleep=waits.append).trigger("a", "e", {}).triggered == 1
    assert waits == [2.0, 2.0]
    assert len(fake.requests) == 3
    assert all(r["signature_valid"] for r in fake.requests)
    assert len({r["headers"]["X-LatteStream-Nonce"] for r in fake.requests}) == 3


def test_without_retries_left_the_429_is_a_rate_limit_error(fake, client):
    waits = []
    fake.replies.extend([LIMITED, LIMITED])
    with pytest.raises(RateLimitError) as e:
        client(max_retries=1, sleep=waits.append).trigger("a", "e", {})
    assert (e.value.code, e.value.status, e.value.retry_after) == ("RATE_LIMIT_EXCEEDED", 429, 2.0)
    assert waits == [2.0]


def test_other_errors_are_not_retried(fake, client):
    fake.replies.append((401, {"error": "Invalid API key", "code": "INVALID_API_KEY"}, {}))
    with pytest.raises(ApiError) as e:
        client().trigger("a", "e", {})
    assert e.value.code == "INVALID_API_KEY"
    assert len(fake.requests) == 1


def test_concurrent_calls_to_the_same_path_do_not_cancel_each_other(fake, client):
    both_arrived = threading.Barrier(2, timeout=10)

    def echo(req):
        both_arrived.wait()
        return (200, {"channels": ["a"], "event": req["json"]["event"], "triggered": 1}, {})

    fake.replies.extend([echo, echo])
    server = client()
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(server.trigger, "a", "first", {})
        second = pool.submit(server.trigger, "a", "second", {})
        assert (first.result().event, second.result().event) == ("first", "second")


def test_an_unreachable_server_is_a_connection_error_and_a_silent_one_a_timeout(fake, client):
    with pytest.raises(ConnectionError) as e:
        LatteStreamServer(KEY, "127.0.0.1:1", use_tls=False).get_channels()
    assert e.value.code == "CONNECTION_ERROR"
    release = threading.Event()

    def hang(_req):
        release.wait(10)
        return (200, {}, {})

    fake.replies.append(hang)
    with pytest.raises(ConnectionError) as e:
        client(timeout=0.05).get_channels()
    assert e.value.code == "TIMEOUT"
    release.set()
