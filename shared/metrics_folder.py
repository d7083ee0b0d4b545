"""The folder of Prometheus' multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``), set up before
``prometheus_client`` is imported anywhere in the process: the client picks its kind of value
store once, at import. Kept apart from ``shared.metrics``, which imports the client."""

from __future__ import annotations

import os
import shutil
import tempfile

MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess(prefix: str) -> str:
    """Give this process and those it starts one folder for their samples: the one given in
    ``PROMETHEUS_MULTIPROC_DIR`` (emptied: samples of an earlier run would be counted), else a
    new one of this run (``prefix``); returns it."""
    folder = os.environ.get(MULTIPROCESS) or tempfile.mkdtemp(prefix=prefix)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    os.environ[MULTIPROCESS] = folder
    return folder
