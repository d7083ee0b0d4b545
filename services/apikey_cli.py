"""``planner apikey create``: IT makes an API key for another system, a script or the CLI.

The key is printed once; only its SHA-256 goes into ``PLANNER_API_KEYS``, which the command
prints with the new key added to the keys already configured. Nothing is written anywhere:
IT puts the new value into the services' environment (a Secret, ``planner.env``) and
restarts them. To withdraw a key, remove its entry (its ``id``) from the setting.
"""

from __future__ import annotations

import json

import click

from shared.auth.api_keys import create_api_key, parse_api_keys, stored_form
from shared.auth.grants import parse_grants
from shared.config import get_settings


@click.group()
def apikey() -> None:
    """API keys of machines (other systems, scripts, the demo's set-up)."""


@apikey.command()
@click.option("--name", required=True, help="Who uses the key, for people reading the setting and the logs.")
@click.option(
    "--grant",
    "grants",
    multiple=True,
    required=True,
    help="role:centre,centre (administrator, planner or reader; * is every job centre); repeat for more.",
)
def create(name: str, grants: tuple[str, ...]) -> None:
    """Make a key for NAME with GRANTs; print it once and the new PLANNER_API_KEYS."""
    try:
        parsed = parse_grants(grants)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--grant") from None
    new = create_api_key(name, parsed)
    existing = parse_api_keys(get_settings().api_keys)
    entries = [stored_form(stored) for stored in existing.values()] + [stored_form(new.stored)]
    click.echo(f"Ny API-nøgle til {name} (vises kun nu; giv den videre sikkert):")
    click.echo(f"  {new.key}")
    click.echo("Brug den som: Authorization: Bearer <nøglen>")
    click.echo("Sæt denne værdi i tjenesternes miljø og genstart dem:")
    click.echo(f"PLANNER_API_KEYS={json.dumps(entries)}")
