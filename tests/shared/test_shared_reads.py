"""Threads asking at once share reads, but never one that began before they asked."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from shared.shared_reads import SharedReads
from tests.conftest import eventually


class GatedReads:
    """A read that returns its own number, each held until the test lets it end."""

    def __init__(self) -> None:
        self.begun: list[int] = []
        self.gates: dict[int, threading.Event] = {}
        self.fail: set[int] = set()
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            number = len(self.begun) + 1
            self.begun.append(number)
            gate = self.gates.setdefault(number, threading.Event())
        assert gate.wait(30)
        if number in self.fail:
            raise RuntimeError(f"read {number} failed")
        return number

    def release(self, number: int) -> None:
        with self._lock:
            self.gates.setdefault(number, threading.Event()).set()


@pytest.fixture
def pool() -> ThreadPoolExecutor:
    with ThreadPoolExecutor(max_workers=8) as executor:
        yield executor


def test_callers_that_arrive_during_a_read_share_the_next_one(pool: ThreadPoolExecutor) -> None:
    reads, shared = GatedReads(), SharedReads[int]()
    first = pool.submit(shared.get, "offer", reads)
    eventually(lambda: reads.begun == [1], "the first read")
    later: list[Future[int]] = [pool.submit(shared.get, "offer", reads) for _ in range(5)]
    eventually(lambda: shared.waiting("offer") == 5, "five callers waiting")
    reads.release(1)
    assert first.result(10) == 1
    eventually(lambda: reads.begun == [1, 2], "one more read for the five")
    assert not any(f.done() for f in later)  # read 1 began before they asked: not theirs
    reads.release(2)
    assert [f.result(10) for f in later] == [2] * 5
    assert reads.begun == [1, 2]  # six callers, two reads


def test_each_key_has_its_own_reads(pool: ThreadPoolExecutor) -> None:
    a, b, shared = GatedReads(), GatedReads(), SharedReads[int]()
    on_a = pool.submit(shared.get, "a", a)
    on_b = pool.submit(shared.get, "b", b)
    eventually(lambda: a.begun == [1] and b.begun == [1], "a read of each key")
    a.release(1)
    b.release(1)
    assert (on_a.result(10), on_b.result(10)) == (1, 1)


def test_a_failed_read_fails_its_caller_and_the_waiting_read_again(pool: ThreadPoolExecutor) -> None:
    reads, shared = GatedReads(), SharedReads[int]()
    reads.fail.add(1)
    first = pool.submit(shared.get, "offer", reads)
    eventually(lambda: reads.begun == [1], "the first read")
    later = [pool.submit(shared.get, "offer", reads) for _ in range(3)]
    eventually(lambda: shared.waiting("offer") == 3, "three callers waiting")
    reads.release(1)
    with pytest.raises(RuntimeError, match="read 1 failed"):
        first.result(10)
    eventually(lambda: reads.begun == [1, 2], "a new read for the waiting")
    reads.release(2)
    assert [f.result(10) for f in later] == [2] * 3


def test_a_caller_alone_reads_for_itself_every_time() -> None:
    shared, calls = SharedReads[int](), []
    for n in range(3):
        assert shared.get("offer", lambda n=n: calls.append(n) or n) == n
    assert calls == [0, 1, 2]
    assert shared.waiting("offer") == 0
