"""Channel authorization (local) and webhook signatures, checked against HMACs computed here."""

import hashlib
import hmac
import json

import pytest

from lattestream import LatteStreamServer, ValidationError, verify_webhook_signature

KEY = "lsk_auth_test"
server = LatteStreamServer(KEY, "127.0.0.1:1", use_tls=False)


def sign(key, text):
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()


def test_a_private_channel_gets_socket_id_and_hmac_and_no_channel_data():
    auth = server.authorize_channel("123.456", "private-user-123")
    assert auth == {"auth": "123.456:" + sign(KEY, "123.456:private-user-123")}


def test_a_presence_channel_returns_channel_data_the_exact_string_it_signed():
    member = {"user_id": "user123", "user_info": {"name": "Alice"}}
    auth = server.authorize_channel("123.456", "presence-room-1", member)
    assert list(auth) == ["auth", "channel_data"]
    assert json.loads(auth["channel_data"]) == member
    assert auth["auth"] == "123.456:" + sign(KEY, "123.456:presence-room-1:" + auth["channel_data"])
    assert json.loads(json.dumps(auth))["channel_data"] == auth["channel_data"]


def test_member_data_given_as_a_string_is_signed_as_is_and_a_numeric_user_id_is_accepted():
    text = '{"user_info":{"b":1,"a":2},"user_id":7}'
    auth = server.authorize_channel("1.2", "presence-x", text)
    assert auth["channel_data"] == text
    assert auth["auth"] == "1.2:" + sign(KEY, "1.2:presence-x:" + text)


@pytest.mark.parametrize(
    "args, code",
    [
        (("123", "private-a"), "INVALID_SOCKET_ID"),
        (("1.2", "public-room"), "INVALID_CHANNEL"),
        (("1.2", "private-a b"), "INVALID_CHANNEL"),
        (("1.2", "presence-a"), "MISSING_USER_ID"),
        (("1.2", "presence-a", {"user_id": ""}), "MISSING_USER_ID"),
        (("1.2", "presence-a", {"user_id": True}), "MISSING_USER_ID"),
        (("1.2", "presence-a", "not json"), "MISSING_USER_ID"),
    ],
)
def test_bad_input_is_refused_with_the_documented_codes(args, code):
    with pytest.raises(ValidationError) as e:
        server.authorize_channel(*args)
    assert e.value.code == code


def test_webhook_signatures_verify_over_the_raw_body_in_either_hex_case_and_nothing_else():
    body = '{"time_ms":1,"events":[{"name":"channel_occupied","channel":"a"}]}'
    sig = sign("whsec", body)
    assert verify_webhook_signature(body, sig, "whsec")
    assert verify_webhook_signature(body.encode(), sig.upper(), "whsec")
    assert not verify_webhook_signature(body + " ", sig, "whsec")
    assert not verify_webhook_signature(body, sig, "other")
    assert not verify_webhook_signature(body, sig[2:], "whsec")
    assert not verify_webhook_signature(body, "zz" + sig[2:], "whsec")
    assert not verify_webhook_signature(body, None, "whsec")


def test_the_method_defaults_the_secret_to_the_private_key():
    body = '{"events":[]}'
    assert server.verify_webhook_signature(body, sign(KEY, body))
    assert not server.verify_webhook_signature(body, sign(KEY, body), "endpoint-secret")
