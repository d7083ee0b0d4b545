"""Kill the process groups of a test's services when the test process dies, however it dies.

``python -m tests.e2e.reaper`` runs in its own session and reads lines from stdin, whose
write end only the test process holds: ``<pgid> <start time>`` watches a process group,
``done`` ends the watch without killing anything (a normal stop). When stdin ends without
``done`` (the test process died, even by SIGKILL) every watched group gets SIGKILL.

PR_SET_PDEATHSIG kills a service's main process with the test process, but not what that
process started: Celery's embedded beat (``worker --beat``) is a child process that does
not watch its parent and lives on, reparented to init. Killing the whole group reaches it.

Kept free of the project's imports so it starts fast and cannot fail to import.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys


def start_time(pid: int) -> int | None:
    """When ``pid`` started (clock ticks after boot), or None when there is no such process.

    Together with the pid it names one process: a pid can be reused, its start time not.
    """
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return int(fields[19])  # field 22 of proc(5), counted after "pid (comm)"


def kill_group(pgid: int, started: int | None) -> None:
    """SIGKILL process group ``pgid`` unless its number now belongs to a newer process.

    The group's leader may be gone already (its group lives on while members do), but when
    a process with that pid exists and started at another time, the pid and so the group
    id were reused: that group is somebody else's.
    """
    now = start_time(pgid)
    if now is not None and started is not None and now != started:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # only the end of stdin or "done" ends the watch
    groups: dict[int, int | None] = {}
    for line in sys.stdin:
        words = line.split()
        if words == ["done"]:
            return 0
        if len(words) == 2:
            groups[int(words[0])] = int(words[1]) if words[1] != "-" else None
    for pgid, started in groups.items():
        kill_group(pgid, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
