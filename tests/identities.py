"""Credentials the tests call the APIs with.

``IT_KEY`` is an API key (a machine) with the administrator and planner roles at every job
centre, as IT's set-up scripts and the demo's set-up have; ``make_settings`` admits it, and
an app whose ``test_client_class`` is ``ItClient`` sends it with every request. Tests about
who may do what use their own identities (``tests/auth``, the authorisation matrix).
"""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient

from shared.auth.api_keys import NewApiKey, create_api_key, stored_form
from shared.auth.grants import parse_grants

IT_KEY = create_api_key("tests (IT)", parse_grants(["administrator:*", "planner:*"]))


def bearer(key: NewApiKey | str) -> dict[str, str]:
    """The Authorization header for an API key or an access token."""
    return {"Authorization": f"Bearer {key.key if isinstance(key, NewApiKey) else key}"}


def api_keys_setting(*keys: NewApiKey) -> str:
    """``PLANNER_API_KEYS`` admitting ``keys``."""
    return json.dumps([stored_form(key.stored) for key in keys])


class ItClient(FlaskClient):
    """A test client that calls as IT (``IT_KEY``) unless a request says otherwise."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.environ_base["HTTP_AUTHORIZATION"] = bearer(IT_KEY)["Authorization"]


def anonymous(client: FlaskClient) -> FlaskClient:
    """The same app's client without any credential."""
    return FlaskClient(client.application)
