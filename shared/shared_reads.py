"""Reads that the threads asking at once share, without ever handing out an old answer.

A thread that asks for ``key`` gets the result of a read that *began after it asked*: the
answer holds everything committed before the question. When a read of ``key`` is already
under way (it began too early for the newcomers), the newcomers wait for it to end and
then share the next one, which one of them makes. Under load, the threads of a process
asking about the same thing cost one read per round instead of one each; alone, a thread
reads as it would without this.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass
class _Key:
    started: int = 0  # reads of the key begun so far
    finished: int = 0  # the number of the last read that ended with a result
    result: Any = None
    reading: bool = False
    waiting: int = 0


class SharedReads(Generic[T]):
    """Shared reads per key (see the module)."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._keys: dict[Hashable, _Key] = {}

    def get(self, key: Hashable, read: Callable[[], T]) -> T:
        """The result of a read of ``key`` begun after this call: this thread's own call of
        ``read``, or the one another thread began meanwhile. A read that raises raises in its
        own thread; the threads waiting for it read again."""
        with self._changed:
            state = self._keys.setdefault(key, _Key())
            needed = state.started + 1  # a read still under way began before this call
            state.waiting += 1
            while state.finished < needed and state.reading:
                self._changed.wait()
            state.waiting -= 1
            if state.finished >= needed:
                result: T = state.result
                self._forget_if_idle(key, state)
                return result
            state.started += 1
            number = state.started
            state.reading = True
        try:
            result = read()
        except BaseException:
            with self._changed:
                state.reading = False
                self._forget_if_idle(key, state)
                self._changed.notify_all()
            raise
        with self._changed:
            state.reading = False
            state.finished, state.result = number, result
            self._forget_if_idle(key, state)
            self._changed.notify_all()
        return result

    def waiting(self, key: Hashable) -> int:
        """How many threads wait for a read of ``key`` now (for tests and metrics)."""
        with self._changed:
            state = self._keys.get(key)
            return state.waiting if state is not None else 0

    def _forget_if_idle(self, key: Hashable, state: _Key) -> None:
        if not state.reading and state.waiting == 0 and self._keys.get(key) is state:
            del self._keys[key]
