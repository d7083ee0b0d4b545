"""Operator commands of the booking service (wired under ``planner booking``).

``planner booking import-citizens FILE`` loads citizen profiles from a CSV file (header of the
import's field names, lists separated by ';') or a JSON file (a list of objects, or one) into
the booking database: all or nothing. It prints ``{"created": n, "replaced": m}`` and exits
0, or prints the problems (``{"problems": [{path, code, message}]}``) and exits 2. The
messages never repeat a CPR number.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from shared.config import get_settings
from shared.db import Database
from shared.errors import ValidationFailed

EXIT_INVALID = 2


def _echo(data: dict[str, Any]) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.command(name="import-citizens")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["auto", "csv", "json"]),
    default="auto",
    show_default=True,
    help="auto: by the file's suffix (.csv, else JSON).",
)
@click.option("--database-url", default=None, help="Booking database (default: PLANNER_BOOKING_DATABASE_URL).")
def import_citizens(file: Path, file_format: str, database_url: str | None) -> None:
    """Import citizen profiles from FILE (CSV or JSON) into the booking store."""
    from services.booking.citizens.store import import_profiles

    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        _echo({"problems": [{"path": "", "code": "unreadable_file", "message": "Filen er ikke tekst i UTF-8."}]})
        click.get_current_context().exit(EXIT_INVALID)
    csv = file_format == "csv" or (file_format == "auto" and file.suffix.lower() == ".csv")
    settings = get_settings()
    db = Database(database_url or settings.booking_database_url, hide_parameters=True)
    try:
        result = import_profiles(db, text, csv=csv)
    except ValidationFailed as exc:
        _echo({"problems": exc.extra["errors"]["citizens"]})
        click.get_current_context().exit(EXIT_INVALID)
    finally:
        db.dispose()
    _echo(result)
