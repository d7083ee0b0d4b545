"""Celery beat's state directory, checked before beat keeps its schedule file there (a shelve,
that is pickles: whoever may replace the file runs code in beat). Both Celery apps use it: the
calendar worker's and the booking mail worker's."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from celery.beat import PersistentScheduler


def ensure_state_dir(path: Path) -> Path:
    """Make the state directory ``path`` (mode 0700) unless it exists; refuse one that another
    user owns or that others may write to. Returns ``path``."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.stat()
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise PermissionError(
            f"the state directory {path} (PLANNER_STATE_DIR) must belong to this user and be writable "
            f"by nobody else (owner uid {info.st_uid}, mode {stat.filemode(info.st_mode)})"
        )
    return path


class StateDirScheduler(PersistentScheduler):  # type: ignore[misc]
    """Celery's shelve scheduler, whose file lies in the checked state directory."""

    def setup_schedule(self) -> None:
        ensure_state_dir(Path(self.schedule_filename).parent)
        super().setup_schedule()
