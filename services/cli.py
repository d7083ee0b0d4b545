"""The ``planner`` command: run each service, the worker, migrations and the demo.

Every process reads its settings from ``PLANNER_*`` environment variables (see the
README); the demo sets its own embedded defaults.
"""

from __future__ import annotations

import importlib
import os
import socket
import sys
from pathlib import Path
from typing import Any

import click

from services.apikey_cli import apikey
from services.availability_cli import availability
from services.booking.commands import import_citizens
from services.cpr_keys_cli import rotate_cpr_keys
from services.rules_cli import rules
from shared.config import get_settings
from shared.logs import configure_logging

SERVICES = ("offers", "booking", "calendar_sync")


def _service_module(service: str, name: str) -> Any:
    return importlib.import_module(f"services.{service}.{name}")


def _database_url(service: str) -> str:
    return str(getattr(get_settings(), f"{service}_database_url"))


def _serve(app: Any, host: str, port: int, threads: int) -> None:
    from waitress import serve

    click.echo(f"serving on http://{host}:{port}/ (OpenAPI: /openapi.json)")
    serve(app, host=host, port=port, threads=threads, ident="planner")


@click.group()
@click.version_option(package_name="jobcenter-planner")
def main() -> None:
    """jobcenter-planner: online offers and self-booking for job centres."""
    configure_logging(get_settings().log_level)


@main.command()
def keygen() -> None:
    """Print a new key for PLANNER_SECRET_KEYS (encrypts calendar passwords)."""
    from shared.secrets import new_key

    click.echo(new_key())


@main.command()
@click.argument("service", type=click.Choice([*SERVICES, "all"]))
def migrate(service: str) -> None:
    """Upgrade SERVICE's database (or all three) to the newest schema."""
    for name in SERVICES if service == "all" else (service,):
        _service_module(name, "db").migrate(_database_url(name))
        click.echo(f"{name}: database is up to date")


def _serve_command(service: str, default_port: int) -> click.Command:
    @click.command(name="serve", help=f"Run the {service} HTTP API (with its outbox relay).")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=default_port, show_default=True, type=int)
    @click.option("--threads", default=8, show_default=True, type=int)
    def serve(host: str, port: int, threads: int) -> None:
        from shared.auth.startup import UnsafeIdentitySettings, check_identity_settings

        try:
            check_identity_settings(get_settings())
        except UnsafeIdentitySettings as exc:
            raise click.ClickException(str(exc)) from None
        app = _service_module(service, "app").create_app(start_relay=True)
        _serve(app, host, port, threads)

    return serve


@main.group()
def offers() -> None:
    """The staff service: admin data and offers."""


offers.add_command(_serve_command("offers", 8001))


METRICS_PORT = click.option(
    "--metrics-port", default=0, show_default=True, type=int,
    help="Serve this process's metrics (GET /metrics, a monitor key's) on PLANNER_WORKER_METRICS_HOST:PORT; 0: none.",
)  # fmt: skip


def _consumer_metrics(service: str, port: int) -> None:
    """A consumer's metrics port: the age of its service's oldest unsent event (and a port to probe)."""
    if not port:
        return
    from shared.metrics import metrics_app, outbox_lag_source, serve_metrics
    from shared.service import build_context

    settings = get_settings()
    models = _service_module(service, "models")
    context = build_context(settings, _database_url(service), models.OutboxMessage)
    app = metrics_app(settings, f"planner-{service}-consumer", [outbox_lag_source(context.db, models.OutboxMessage)])
    serve_metrics(app, settings.worker_metrics_host, port)


@offers.command(name="consume")
@METRICS_PORT
def offers_consume(metrics_port: int) -> None:
    """Apply the events offers subscribes to (calendar health, booking conflicts)."""
    from services.offers.runner import run_consumer_forever

    _consumer_metrics("offers", metrics_port)
    run_consumer_forever(get_settings())


@offers.command(name="rotate-secrets")
def offers_rotate_secrets() -> None:
    """Re-encrypt every calendar password with the first key of PLANNER_SECRET_KEYS and
    send it to the worker; afterwards the older keys can be removed."""
    from services.offers.admin.secret_rotation import rotate_stored_secrets
    from shared.errors import PlannerError

    try:
        report = rotate_stored_secrets(get_settings())
    except PlannerError as exc:
        raise click.ClickException(exc.detail) from exc
    result = report.result
    click.echo(f"krypteret igen med den første nøgle: {result.rotated}")
    click.echo(f"allerede krypteret med den første nøgle: {result.current}")
    if not report.sent:
        click.echo("RabbitMQ svarer ikke: ændringerne venter i offers' outbox og sendes, når den svarer igen.")
    if result.unreadable:
        ids = ", ".join(str(i) for i in result.unreadable)
        raise click.ClickException(
            f"{len(result.unreadable)} adgangskoder kan ikke dekrypteres med nogen af nøglerne "
            f"(vejledere {ids}); de skal indtastes igen."
        )


@main.group()
def booking() -> None:
    """The citizen service: bookable times and bookings."""


booking.add_command(_serve_command("booking", 8002))
booking.add_command(import_citizens)


@booking.command()
@METRICS_PORT
def consume(metrics_port: int) -> None:
    """Apply the events booking subscribes to (offers, availability)."""
    from services.booking.runner import run_consumer_forever

    _consumer_metrics("booking", metrics_port)
    run_consumer_forever(get_settings())


@main.command()
@click.option("--concurrency", default=2, show_default=True, type=int)
@click.option("--beat/--no-beat", default=False, help="Also run Celery beat (periodic re-sync) in this process.")
@click.option("--loglevel", default="INFO", show_default=True)
@click.option(
    "--name",
    default=None,
    help="Celery node name, unique per worker (default: planner-<pid>@<host>, so replicas on one host never clash).",
)
def worker(concurrency: int, beat: bool, loglevel: str, name: str | None) -> None:
    """Run the calendar-sync Celery worker (and its event consumer), with its metrics port
    when ``PLANNER_WORKER_METRICS_PORT`` is set."""
    if get_settings().worker_metrics_port:  # before prometheus_client is imported: the pool's samples add up
        from shared.metrics_folder import prepare_multiprocess

        prepare_multiprocess("planner-worker-metrics-")
    from services.calendar_sync.celery_app import app

    node = name or f"planner-{os.getpid()}@{socket.gethostname()}"
    argv = [
        "worker",
        f"--loglevel={loglevel}",
        f"--concurrency={concurrency}",
        "-n",
        node,
        "-Q",
        get_settings().task_queue,
    ]
    if beat:
        argv.append("--beat")
    app.worker_main(argv)


@main.command()
@click.option("--loglevel", default="INFO", show_default=True)
def beat(loglevel: str) -> None:
    """Run Celery beat: periodic calendar re-sync and outbox relay (one per deployment)."""
    from services.calendar_sync.celery_app import app

    app.start(["beat", f"--loglevel={loglevel}"])


@main.command()
@click.option("--data-dir", type=click.Path(path_type=Path), default=Path("var/demo"), show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--offers-port", default=8001, show_default=True, type=int)
@click.option("--booking-port", default=8002, show_default=True, type=int)
@click.option("--identity-port", default=8003, show_default=True, type=int)
def demo(data_dir: Path, host: str, offers_port: int, booking_port: int, identity_port: int) -> None:
    """Run everything in one process: SQLite, in-process broker, embedded CalDAV and login."""
    from services.demo.run import DemoRefused, run_demo

    try:
        run_demo(data_dir, host, offers_port, booking_port, identity_port)
    except DemoRefused as exc:
        raise click.ClickException(str(exc)) from None


main.add_command(apikey)
main.add_command(availability)
main.add_command(rules)
main.add_command(rotate_cpr_keys)

if __name__ == "__main__":
    sys.exit(main())
