"""The embedded servers (login provider, Radicale) stop cleanly: their loop thread closes its
own sockets, so stopping one, even with a browser's connection still open, raises nothing in
that thread and leaves nothing listening."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from services.demo.embedded_radicale import start_radicale
from services.demo.oidc_provider import start_oidc_provider


@pytest.fixture
def thread_errors(monkeypatch: pytest.MonkeyPatch) -> list[BaseException | None]:
    errors: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args.exc_value))
    return errors


def refused(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_the_login_provider_stops_cleanly_with_a_connection_open(thread_errors: list) -> None:
    for _ in range(20):
        provider = start_oidc_provider()
        port = int(provider.issuer.rsplit(":", 1)[1].split("/")[0])
        with socket.create_connection(("127.0.0.1", port)) as browser:
            browser.sendall(b"GET /.well-known/openid-configuration HTTP/1.1\r\nHost: x\r\n\r\n")
            provider.stop()
            provider.stop()  # twice is harmless
        assert refused(port)
    assert thread_errors == []


def test_radicale_stops_cleanly(tmp_path: Path, thread_errors: list) -> None:
    for n in range(5):
        server = start_radicale(tmp_path / str(n), {"anne": "secret"})
        server.stop()
        assert refused(int(server.url.rsplit(":", 1)[1].split("/")[0]))
    assert thread_errors == []
