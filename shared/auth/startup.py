"""What a service checks about its identity settings before it serves anyone.

Outside the demo (``PLANNER_DEMO`` false) a configured provider must be reached over TLS:
the demo's embedded provider (plain http on loopback, where anyone may log in as anyone) is
refused, and so is a provider without a client secret. Bearer tokens need their own
audience, never a client id (an ID token for this client must not pass as an access token).
CPR numbers are kept only indexed and encrypted, so outside the demo ``PLANNER_CPR_KEYS``
must be set.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from shared.auth.clients import citizen_client, staff_client
from shared.config import Settings


class UnsafeIdentitySettings(RuntimeError):
    """The settings would let someone in who should not be; the message says which."""


def identity_problems(settings: Settings) -> list[str]:
    """Every problem with the identity settings (empty: the service may start)."""
    problems: list[str] = []
    clients = [c for c in (citizen_client(settings), staff_client(settings)) if c is not None]
    for client in clients:
        name = f"PLANNER_{client.kind.upper()}_OIDC"
        if settings.token_audience and client.client_id == settings.token_audience:
            problems.append(f"PLANNER_TOKEN_AUDIENCE must differ from {name}_CLIENT_ID")
        if settings.demo:
            continue
        if urlsplit(client.issuer).scheme != "https":
            problems.append(f"{name}_ISSUER must be an https URL (the demo's provider is for the demo only)")
        if not client.client_id or not client.client_secret:
            problems.append(f"{name}_CLIENT_ID and {name}_CLIENT_SECRET must be set")
    if not settings.demo and not settings.cpr_keys.get_secret_value().strip():
        problems.append("PLANNER_CPR_KEYS must be set (planner keygen): CPR numbers are kept only encrypted")
    return problems


def check_identity_settings(settings: Settings) -> None:
    """Raise ``UnsafeIdentitySettings`` naming every problem, if there is one."""
    problems = identity_problems(settings)
    if problems:
        raise UnsafeIdentitySettings("refusing to start: " + "; ".join(problems))
