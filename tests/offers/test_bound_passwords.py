"""Staff save calendar passwords bound to the advisor and the calendar URL; a new URL without
a new password moves the stored password to that URL, and the worker gets it that way."""

from __future__ import annotations

import uuid

import pytest
from flask.testing import FlaskClient

from services.offers.models import Advisor
from shared import events as ev
from shared.secrets import CalendarPasswordRefused, decrypt_calendar_password, encrypt, new_key
from shared.service import ServiceContext
from tests.offers.conftest import Api, outbox
from tests.offers.test_admin_api import assert_refused

NEW_URL = "https://cal.example.org/anne/ny/"


def announced(context: ServiceContext) -> ev.AdvisorCalendarPayload:
    return ev.AdvisorCalendarPayload.model_validate(outbox(context)[-1].payload)


def test_a_saved_password_is_announced_bound_to_the_advisor_and_url(api: Api, context: ServiceContext) -> None:
    advisor = api.advisor(api.centre(), caldav_password="anne-secret")
    payload, keys = announced(context), context.settings.secret_keys
    assert payload.caldav_password_encrypted is not None
    token = payload.caldav_password_encrypted

    assert decrypt_calendar_password(token, keys, advisor_id=advisor["id"], url=payload.caldav_url) == "anne-secret"
    with pytest.raises(CalendarPasswordRefused):
        decrypt_calendar_password(token, keys, advisor_id=str(uuid.uuid4()), url=payload.caldav_url)


def test_a_new_url_without_a_new_password_moves_the_password_to_that_url(
    api: Api, client: FlaskClient, context: ServiceContext
) -> None:
    advisor = api.advisor(api.centre(), caldav_password="anne-secret")
    old_url, keys = announced(context).caldav_url, context.settings.secret_keys

    response = client.patch(f"/api/v1/advisors/{advisor['id']}", json={"caldav_url": NEW_URL})

    assert response.status_code == 200, response.get_data(as_text=True)
    payload = announced(context)
    assert payload.caldav_url == NEW_URL and payload.caldav_password_encrypted is not None
    token = payload.caldav_password_encrypted
    assert decrypt_calendar_password(token, keys, advisor_id=advisor["id"], url=NEW_URL) == "anne-secret"
    with pytest.raises(CalendarPasswordRefused):
        decrypt_calendar_password(token, keys, advisor_id=advisor["id"], url=old_url)


def test_a_stored_password_that_cannot_be_moved_must_be_entered_again(
    api: Api, client: FlaskClient, context: ServiceContext
) -> None:
    advisor = api.advisor(api.centre(), caldav_password="anne-secret")
    with context.db.transaction() as session:  # made with a key that is no longer configured
        row = session.get(Advisor, uuid.UUID(advisor["id"]))
        assert row is not None
        row.caldav_password_encrypted = encrypt("anne-secret", new_key())
    path = f"/advisors/{advisor['id']}"

    problem = assert_refused(client, context, "PATCH", path, {"caldav_url": NEW_URL}, "caldav_password")

    assert "angiv adgangskoden igen" in problem["detail"]
    response = client.patch(f"/api/v1{path}", json={"caldav_url": NEW_URL, "caldav_password": "anne-secret"})
    assert response.status_code == 200
    token = announced(context).caldav_password_encrypted
    assert token is not None
    keys = context.settings.secret_keys
    assert decrypt_calendar_password(token, keys, advisor_id=advisor["id"], url=NEW_URL) == "anne-secret"
