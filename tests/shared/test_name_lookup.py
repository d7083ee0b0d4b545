"""Looking calendar hosts up: the system's resolver, bounded in time."""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest

from shared import name_lookup
from shared.name_lookup import lookup_addresses


def test_a_name_resolves_to_its_addresses() -> None:
    assert "127.0.0.1" in lookup_addresses("localhost")


def test_a_lookup_that_hangs_is_given_up_after_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    release, answered = threading.Event(), threading.Event()

    def hanging(*args: Any, **kwargs: Any) -> list[Any]:
        release.wait(30)
        answered.set()
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(name_lookup.socket, "getaddrinfo", hanging)
    try:
        with pytest.raises(TimeoutError):
            lookup_addresses("kalender.kommune.dk", timeout=0.3)
        assert not answered.is_set()  # given up while the resolver still hung, not after it answered
    finally:
        release.set()


def test_a_name_that_does_not_resolve_raises_the_resolvers_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def unknown(*args: Any, **kwargs: Any) -> list[Any]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(name_lookup.socket, "getaddrinfo", unknown)
    with pytest.raises(socket.gaierror):
        lookup_addresses("ukendt.kommune.dk")


def test_addresses_come_once_each_ipv4_and_ipv6_only(monkeypatch: pytest.MonkeyPatch) -> None:
    answer = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 0)),
        (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("2606:2800:21f:cb07::1", 0, 0, 0)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 0)),
    ]
    monkeypatch.setattr(name_lookup.socket, "getaddrinfo", lambda *a, **k: answer)
    assert lookup_addresses("kalender.kommune.dk") == ["93.184.215.14", "2606:2800:21f:cb07::1"]
