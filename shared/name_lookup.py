"""Looking a host name up in the system's resolver, bounded in time.

``socket.getaddrinfo`` has no timeout of its own (the resolver's may be 5 s per server and
attempt), so it runs in a daemon thread and the caller waits at most ``timeout`` seconds.
A lookup that takes longer is given up (``TimeoutError``); its thread ends when the
resolver does, and cannot keep the process from exiting.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

LOOKUP_TIMEOUT_SECONDS = 5.0


def lookup_addresses(host: str, timeout: float = LOOKUP_TIMEOUT_SECONDS) -> list[str]:
    """Every IPv4 and IPv6 address ``host`` resolves to (as text, in the resolver's order);
    raises ``socket.gaierror`` when it does not resolve and ``TimeoutError`` after ``timeout``."""
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def look_up() -> None:
        try:
            outcome["found"] = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except OSError as exc:
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=look_up, name="name-lookup", daemon=True).start()
    if not done.wait(timeout):
        raise TimeoutError(f"looking up {host!r} took longer than {timeout} s")
    if "error" in outcome:
        raise outcome["error"]
    addresses = [str(info[4][0]) for info in outcome["found"] if info[0] in (socket.AF_INET, socket.AF_INET6)]
    return list(dict.fromkeys(addresses))
