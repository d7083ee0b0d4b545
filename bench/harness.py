"""What the HTTP benchmarks share: fresh PostgreSQL databases, gunicorn under
``deploy/gunicorn.conf.py``, and a load generator on loopback (``wrk`` when installed, else
client processes with keep-alive connections). Figures only: nothing here asserts a speed."""

from __future__ import annotations

import http.client
import multiprocessing
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Figures:
    """One load run: requests per second and latency percentiles (ms)."""

    rate: float
    p50: float
    p99: float
    failed: int = 0
    """Answers that were not 2xx or 3xx."""


def fresh_database(name: str) -> str:
    """Drop and create the PostgreSQL database ``name``; its SQLAlchemy URL."""
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def analyze(name: str) -> None:
    """``ANALYZE`` the database ``name`` after seeding it, as autovacuum would in a while: the
    planner then knows the tables' sizes (a fresh table's plans are guesses)."""
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{name}", autocommit=True) as connection:
        connection.execute("ANALYZE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gunicorn(app: str, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """gunicorn with the deployment's settings (2 workers x 8 threads, gthread) serving ``app``."""
    config = str(ROOT / "deploy" / "gunicorn.conf.py")
    command = [sys.executable, "-m", "gunicorn", "-c", config, "--bind", f"127.0.0.1:{port}",
               "--access-logfile", "/dev/null", "--log-level", "warning", app]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"gunicorn did not start {app}")


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(timeout=30)


@dataclass(frozen=True)
class Request:
    """What every request of one run sends; ``bodies``: one per request, in turn (POST)."""

    path: str
    headers: dict[str, str]
    method: str = "GET"
    bodies: tuple[str, ...] = ()


def load(port: int, request: Request, seconds: float, connections: int) -> Figures:
    """Drive ``request`` for ``seconds`` over ``connections`` keep-alive connections."""
    if shutil.which("wrk"):
        return _wrk(port, request, seconds, connections)
    return _python(port, request, seconds, connections)


def _wrk(port: int, request: Request, seconds: float, connections: int) -> Figures:
    lines = [f"wrk.method = {_lua(request.method)}"]
    lines += [f"wrk.headers[{_lua(k)}] = {_lua(v)}" for k, v in request.headers.items()]
    if request.bodies:
        # each of wrk's 2 threads takes every other body: no body is sent twice in a run
        lines += [
            "local bodies = {" + ",".join(_lua(b) for b in request.bodies) + "}",
            "local threads = 0",
            'function setup(thread) thread:set("id", threads); threads = threads + 1 end',
            "local n = 0",
            "request = function()",
            "  n = n + 1",
            "  return wrk.format(nil, nil, nil, bodies[((n - 1) * 2 + id) % #bodies + 1])",
            "end",
        ]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines) + "\n")
    try:
        command = ["wrk", "-t2", f"-c{connections}", f"-d{int(seconds)}s", "--latency", "-s", script.name,
                   f"http://127.0.0.1:{port}{request.path}"]  # fmt: skip
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    rate = float(_found(r"Requests/sec:\s+([\d.]+)", out)[0])
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    p50, p99 = _ms(*_found(r"50%\s+([\d.]+)(us|ms|s)", out)), _ms(*_found(r"99%\s+([\d.]+)(us|ms|s)", out))
    return Figures(rate, p50, p99, int(failed[1]) if failed else 0)


def _lua(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _found(pattern: str, text: str) -> tuple[str, ...]:
    match = re.search(pattern, text)
    if match is None:
        raise SystemExit(f"wrk said:\n{text}")
    return match.groups()


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _python(port: int, request: Request, seconds: float, connections: int) -> Figures:
    processes = 2
    slices = [request.bodies[i::processes] for i in range(processes)] if request.bodies else [()] * processes
    jobs = [(port, request, tuple(part), seconds, max(1, connections // processes)) for part in slices]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        parts = pool.map(_client, jobs)
    latencies = sorted(ms for part, _ in parts for ms in part)
    failed = sum(count for _, count in parts)
    if not latencies:
        return Figures(0.0, 0.0, 0.0, failed)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return Figures(len(latencies) / seconds, statistics.median(latencies), p99, failed)


def _client(job: tuple[int, Request, tuple[str, ...], float, int]) -> tuple[list[float], int]:
    """One client process: keep-alive connections for ``seconds``; the latencies (ms) and how
    many answers were not 2xx or 3xx."""
    port, request, bodies, seconds, threads = job
    latencies: list[float] = []
    failed = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    turn = iter(range(10**9))

    def run() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.monotonic() < stop_at:
            with lock:
                n = next(turn)
            body = bodies[n % len(bodies)].encode() if bodies else None
            began = time.perf_counter()
            connection.request(request.method, request.path, body=body, headers=request.headers)
            response = connection.getresponse()
            response.read()
            if response.status >= 400:
                with lock:
                    failed[0] += 1
            mine.append((time.perf_counter() - began) * 1000)
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return latencies, failed[0]
