"""Stopping a waitress server that runs in a thread of its own (the embedded Radicale and
login provider)."""

from __future__ import annotations

import threading
from typing import Any

from waitress.wasyncore import close_all


def stop_server(server: Any, thread: threading.Thread) -> None:
    """Stop ``server``'s workers, then close its sockets in its own loop thread (asked through
    its trigger), so that thread's ``select`` never sees a socket closed under it; wait for the
    thread. Idempotent."""
    server.task_dispatcher.shutdown()
    if thread.is_alive():
        # What pull_trigger does, but with the write under the trigger's lock: the loop runs
        # thunks under that lock, so one it woke for earlier (a response ready) cannot close
        # the trigger between our thunk's append and our write to the closed pipe (EBADF).
        trigger = server.trigger
        with trigger.lock:
            trigger.thunks.append(lambda: close_all(server._map))
            trigger._physical_pull()
        thread.join(timeout=10)
    close_all(server._map)  # what is left, should the loop have ended already
