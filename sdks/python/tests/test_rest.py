"""What each REST method sends and how it reads the answer, against the recording fake server."""

import asyncio

import pytest

from fake_server import KEY
from lattestream import (
    AccessToken,
    AsyncLatteStreamServer,
    BatchResult,
    ChannelInfo,
    Member,
    TriggerResult,
    User,
    ValidationError,
)


def test_trigger_sends_channels_as_an_array_data_as_given_and_the_socket_to_exclude(fake, client):
    fake.replies.append((200, {"channels": ["a", "b"], "event": "e", "triggered": 3}, {}))
    result = client().trigger(["a", "b"], "e", {"n": 1}, socket_id="1.2")
    assert result == TriggerResult(["a", "b"], "e", 3)
    req = fake.last
    assert (req["method"], req["target"]) == ("POST", "/events")
    assert req["json"] == {"channels": ["a", "b"], "event": "e", "data": {"n": 1}, "socket_id": "1.2"}
    assert req["headers"]["Authorization"] == f"Bearer {KEY}"
    assert req["headers"]["Content-Type"] == "application/json"
    assert req["signature_valid"]


def test_one_channel_is_a_one_element_array_and_a_string_payload_passes_unchanged(fake, client):
    fake.replies.append((200, {"channels": ["chat"], "event": "e", "triggered": 0}, {}))
    client().trigger("chat", "e", "plain text")
    assert fake.last["json"] == {"channels": ["chat"], "event": "e", "data": "plain text"}
    with pytest.raises(ValidationError) as e:
        client().trigger([], "e", {})
    assert e.value.code == "MISSING_PARAMETER"


def test_batch_trigger_takes_event_or_name_and_splits_multi_channel_entries(fake, client):
    fake.replies.append((200, '{"batch_id":1674123456789123456,"total_events":3,"total_triggered":2}', {}))
    result = client().batch_trigger(
        [
            {"channel": "user-123", "event": "notification", "data": {"type": "message"}},
            {"channel": ["a", "b"], "name": "n", "data": 1, "socket_id": "9.9"},
        ]
    )
    assert result == BatchResult(1674123456789123456, 3, 2)
    assert fake.last["json"] == {
        "batch": [
            {"channel": "user-123", "name": "notification", "data": {"type": "message"}},
            {"channel": "a", "name": "n", "data": 1, "socket_id": "9.9"},
            {"channel": "b", "name": "n", "data": 1, "socket_id": "9.9"},
        ]
    }
    assert fake.last["signature_valid"]
    with pytest.raises(ValidationError) as e:
        client().trigger_batch([{"channel": "a"}])
    assert e.value.code == "MISSING_PARAMETER"


def test_create_access_token_posts_the_user_as_socket_id(fake, client):
    fake.replies.append((200, {"access_token": "eyJ.x.y", "token_type": "Bearer", "expires_in": 60, "tenant_id": "1"}, {}))
    token = client().create_access_token("user_123", permissions=["read"], expires_in=60)
    assert token == AccessToken("eyJ.x.y", "Bearer", 60, "1")
    assert fake.last["target"] == "/apps/token"
    assert fake.last["json"] == {"socket_id": "user_123", "permissions": ["read"], "expires_in": 60}


def test_channel_queries_encode_names_sign_path_and_query_and_map_the_fields(fake, client):
    fake.replies.append(
        (
            200,
            {
                "channels": [{"channel": "presence-a", "member_count": 1, "members": [{"user_id": "u", "user_info": None, "socket_id": "1.2"}]}],
                "total_channels": 1,
            },
            {},
        )
    )
    listing = client().get_channels(filter_by_prefix="presence-")
    assert fake.last["target"] == "/channels?filter_by_prefix=presence-"
    assert (fake.last["method"], fake.last["body"]) == ("GET", "")
    assert fake.last["signature_valid"]
    assert listing.total_channels == 1
    assert listing.channels[0].members == [Member("u", None, "1.2")]

    fake.replies.append((200, {"channel": "a=b", "occupied": True, "member_count": 2, "subscription_count": 2}, {}))
    info = client().get_channel_info("a=b")
    assert fake.last["target"] == "/channels/a%3Db"
    assert fake.last["signature_valid"]
    assert info == ChannelInfo("a=b", True, 2, None, 2, None)

    fake.replies.append((200, {"users": [{"id": "u1", "user_info": {"name": "A"}}, {"id": "u2"}]}, {}))
    users = client().get_users("presence-a")
    assert fake.last["target"] == "/channels/presence-a/users"
    assert users.users == [User("u1", {"name": "A"}), User("u2", None)]


def test_terminate_user_connections_posts_to_the_encoded_user_path(fake, client):
    fake.replies.append((200, {"terminated": 2}, {}))
    assert client().terminate_user_connections("user@1") == 2
    assert fake.last["target"] == "/users/user%401/terminate_connections"
    assert fake.last["signature_valid"]
    with pytest.raises(ValidationError):
        client().terminate_user_connections("")


def test_the_async_client_awaits_rest_calls_and_keeps_local_ones_plain(fake):
    fake.replies.append((200, {"channels": ["a"], "event": "e", "triggered": 1}, {}))
    server = AsyncLatteStreamServer(KEY, fake.url)
    assert asyncio.run(server.trigger("a", "e", {})) == TriggerResult(["a"], "e", 1)
    assert fake.last["signature_valid"]
    assert server.authorize_channel("1.2", "private-a")["auth"].startswith("1.2:")
