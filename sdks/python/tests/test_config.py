"""Where requests go (options, LATTESTREAM_URL, hosted default) and what the constructor refuses."""

import pytest

from lattestream import LatteStreamServer, ValidationError, resolve_base_url


def test_an_endpoint_option_wins_https_unless_use_tls_is_false():
    env = {"LATTESTREAM_URL": "http://10.0.0.1:6001"}
    assert resolve_base_url(env, "ls.example.com") == "https://ls.example.com"
    assert resolve_base_url(env, "127.0.0.1:6001", use_tls=False) == "http://127.0.0.1:6001"
    assert resolve_base_url(env, "http://127.0.0.1:7001/") == "http://127.0.0.1:7001"


def test_lattestream_url_comes_before_the_hosted_default():
    assert resolve_base_url({"LATTESTREAM_URL": "http://127.0.0.1:6001"}) == "http://127.0.0.1:6001"
    assert resolve_base_url({"LATTESTREAM_URL": "wss://ls.example.com"}) == "https://ls.example.com"
    assert resolve_base_url({}) == "https://eu1.lattestream.com"
    assert resolve_base_url({"LATTESTREAM_URL": " "}, cluster="us2") == "https://us2.lattestream.com"


@pytest.mark.parametrize("bad", ["not a url", "ftp://x", "http://x/prefix", "http://x/?q=1", "http://x:port"])
def test_a_url_that_is_not_an_http_origin_is_refused(bad):
    with pytest.raises(ValidationError) as e:
        resolve_base_url({"LATTESTREAM_URL": bad})
    assert e.value.code == "INVALID_CONFIG"


def test_the_constructor_reads_lattestream_url_and_refuses_a_public_key(monkeypatch):
    monkeypatch.setenv("LATTESTREAM_URL", "http://127.0.0.1:6001")
    assert LatteStreamServer("lsk_x").base_url == "http://127.0.0.1:6001"
    assert LatteStreamServer("lsk_x", host="h:1", use_tls=False).base_url == "http://h:1"
    with pytest.raises(ValidationError) as e:
        LatteStreamServer("lspk_public")
    assert e.value.code == "INVALID_CONFIG"
