"""Processes the tests start die with the test run, even when it is killed hard (SIGKILL)."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from collections.abc import Callable

PR_SET_PDEATHSIG = 1
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None
"""Looked up here, not in the child: between fork and exec the child should do little."""


def die_with_this_thread() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has Linux SIGKILL the child when the calling thread ends.

    PDEATHSIG follows the *thread* that forks the child, not the process: started from
    pytest's main thread it fires when pytest exits or is killed; started from any other
    thread it would fire when that thread ends, so it is not set then (tests/e2e/reaper.py
    covers the services started there). None where Linux' prctl is not available.
    """
    if _prctl is None or threading.current_thread() is not threading.main_thread():
        return None
    parent, prctl = os.getpid(), _prctl

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec
