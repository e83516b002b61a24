import pytest

from fake_server import KEY, FakeServer
from lattestream import LatteStreamServer


@pytest.fixture
def fake():
    server = FakeServer()
    yield server
    server.close()


@pytest.fixture
def client(fake):
    def make(**options):
        return LatteStreamServer(KEY, fake.url, **options)

    return make
