"""Every change staff make is announced in the outbox, in the same transaction, with the
payload the other services rely on; the calendar password stays encrypted."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from services.offers.models import Advisor
from shared import events as ev
from shared.secrets import decrypt_calendar_password
from shared.service import ServiceContext
from tests.offers.conftest import WEEKDAYS, Api, outbox, today


def offer_payload_of(offer: dict[str, Any], centre: dict[str, Any]) -> ev.OfferPayload:
    """What offer.published / offer.changed must carry for ``offer`` as the API shows it."""
    keys = set(ev.OfferPayload.model_fields) - {"offer_id", "job_centre_code", "timezone", "changed_at", "meetings"}
    return ev.OfferPayload.model_validate(
        {
            **{k: offer[k] for k in keys},
            "offer_id": offer["id"],
            "job_centre_code": centre["code"],
            "timezone": centre["timezone"],
            "changed_at": offer["updated_at"],
            "meetings": [],  # an individual offer's (a group offer's: tests/offers/test_group_offers.py)
        }
    )


def test_creating_an_advisor_announces_its_calendar_with_the_password_encrypted(
    api: Api, context: ServiceContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    centre = api.centre(timezone="Europe/Copenhagen")
    closing = (today() + timedelta(days=20)).isoformat()
    api.post(f"/job-centres/{centre['id']}/closing-days", {"day": closing})
    advisor = api.advisor(centre, caldav_password="hemmeligt-kodeord-42")

    [event] = outbox(context)
    assert event.type == ev.ADVISOR_CHANGED
    payload = ev.AdvisorCalendarPayload.model_validate(event.payload)
    assert payload.advisor_id == advisor["id"] and payload.job_centre_code == centre["code"]
    assert payload.name == "Anne Jensen" and payload.timezone == "Europe/Copenhagen"
    assert payload.working_hours == WEEKDAYS
    assert (payload.caldav_url, payload.caldav_username) == ("https://cal.example.org/anne/arbejde/", "anne")
    token = payload.caldav_password_encrypted
    assert token and token != "hemmeligt-kodeord-42"
    keys, bound_to = context.settings.secret_keys, {"advisor_id": advisor["id"], "url": payload.caldav_url}
    assert decrypt_calendar_password(token, keys, **bound_to) == "hemmeligt-kodeord-42"
    with context.db.transaction() as session:
        stored = session.scalars(select(Advisor)).one().caldav_password_encrypted
    assert stored and decrypt_calendar_password(stored, keys, **bound_to) == "hemmeligt-kodeord-42"

    closed = set(payload.closed_days)
    assert date.fromisoformat(closing) in closed  # the centre's own closing day
    christmas = date(today().year, 12, 25) if today() <= date(today().year, 12, 25) else date(today().year + 1, 12, 25)
    assert christmas in closed  # Danish public holidays
    assert all(today() <= d < today() + timedelta(days=400) for d in closed)
    assert "hemmeligt-kodeord-42" not in caplog.text


def test_changing_calendar_or_hours_announces_the_advisor_again_but_not_other_fields(
    api: Api, client: FlaskClient, context: ServiceContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    centre = api.centre()
    advisor = api.advisor(centre)
    path = f"/api/v1/advisors/{advisor['id']}"

    assert client.patch(path, json={"email": "anne.jensen@example.org", "phone": "70000005"}).status_code == 200
    assert len(outbox(context)) == 1  # e-mail and phone are not used by the calendar sync

    for change in (
        {"working_hours": {"mon": [["09:00", "14:00"]]}},
        {"timezone": "Europe/London"},
        {"caldav_url": "https://cal.example.org/anne/ny/"},
        {"caldav_password": "nyt-kodeord"},
    ):
        assert client.patch(path, json=change).status_code == 200
    events = outbox(context)
    assert [e.type for e in events] == [ev.ADVISOR_CHANGED] * 5
    last = ev.AdvisorCalendarPayload.model_validate(events[-1].payload)
    assert last.working_hours == {"mon": [["09:00", "14:00"]]} and last.timezone == "Europe/London"
    assert last.caldav_url == "https://cal.example.org/anne/ny/"
    assert last.caldav_password_encrypted
    keys = context.settings.secret_keys
    password = decrypt_calendar_password(
        last.caldav_password_encrypted, keys, advisor_id=advisor["id"], url=last.caldav_url
    )
    assert password == "nyt-kodeord"
    assert "nyt-kodeord" not in caplog.text and "nyt-kodeord" not in str([e.to_json() for e in events])


def test_a_new_closing_day_announces_every_advisor_of_that_centre(api: Api, context: ServiceContext) -> None:
    centre, other = api.centre(), api.centre()
    anne, bo = api.advisor(centre), api.advisor(centre, name="Bo")
    api.advisor(other, name="Ole")
    day = today() + timedelta(days=5)
    api.post(f"/job-centres/{centre['id']}/closing-days", {"day": day.isoformat(), "reason": "Personaledag"})

    new = outbox(context)[3:]
    assert {e.payload["advisor_id"] for e in new} == {anne["id"], bo["id"]}
    assert all(e.type == ev.ADVISOR_CHANGED and day.isoformat() in e.payload["closed_days"] for e in new)


def test_a_removed_closing_day_announces_the_advisors_working_that_day_again(
    api: Api, client: FlaskClient, context: ServiceContext
) -> None:
    centre = api.centre()
    anne = api.advisor(centre)
    day = today() + timedelta(days=5)
    api.post(f"/job-centres/{centre['id']}/closing-days", {"day": day.isoformat()})
    before = len(outbox(context))

    assert client.delete(f"/api/v1/job-centres/{centre['id']}/closing-days/{day.isoformat()}").status_code == 204

    [event] = outbox(context)[before:]
    assert event.payload["advisor_id"] == anne["id"] and day.isoformat() not in event.payload["closed_days"]
    assert client.get(f"/api/v1/job-centres/{centre['id']}").get_json()["closing_days"] == []
    for unknown in (day.isoformat(), "2030-13-01", "tomorrow"):
        gone = client.delete(f"/api/v1/job-centres/{centre['id']}/closing-days/{unknown}")
        assert gone.status_code == 404 and gone.mimetype == "application/problem+json"
        assert gone.get_json()["code"] == "closing_day_unknown"
    assert len(outbox(context)) == before + 1


def test_sync_now_is_announced(api: Api, client: FlaskClient, context: ServiceContext) -> None:
    advisor = api.advisor(api.centre())
    response = client.post(f"/api/v1/advisors/{advisor['id']}/sync")
    assert response.status_code == 202 and response.get_json() == {"advisor_id": advisor["id"], "status": "requested"}
    event = outbox(context)[-1]
    assert event.type == ev.ADVISOR_SYNC_REQUESTED and event.payload == {"advisor_id": advisor["id"]}


def test_offer_published_on_create_and_changed_on_every_edit(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    api.post(
        f"/job-centres/{setup['centre']['id']}/conversation-variants", {"conversation_type": 7, "name": "Unge under 30"}
    )
    before = len(outbox(context))  # the two advisors
    offer = api.offer(setup["team"], [setup["anne"], setup["bo"]], variant="Unge under 30")
    published = outbox(context)[before:]
    assert [e.type for e in published] == [ev.OFFER_PUBLISHED]
    payload = ev.OfferPayload.model_validate(published[0].payload)
    assert payload == offer_payload_of(offer, setup["centre"])
    assert payload.advisor_ids == [setup["anne"]["id"], setup["bo"]["id"]]
    assert payload.timezone == "Europe/Copenhagen" and payload.changed_at == datetime.fromisoformat(offer["updated_at"])

    changed = client.patch(f"/api/v1/offers/{offer['id']}", json={"duration_minutes": 45, "active": False}).get_json()
    unchanged = client.patch(f"/api/v1/offers/{offer['id']}", json={"duration_minutes": 45}).get_json()
    assert unchanged["updated_at"] == changed["updated_at"]  # nothing changed, nothing announced
    events = outbox(context)[before:]
    assert [e.type for e in events] == [ev.OFFER_PUBLISHED, ev.OFFER_CHANGED]
    assert ev.OfferPayload.model_validate(events[1].payload) == offer_payload_of(changed, setup["centre"])
    assert events[1].payload["active"] is False and events[1].payload["duration_minutes"] == 45


def test_refused_changes_announce_nothing(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    offer = api.offer(setup["team"], [setup["anne"]])
    before = outbox(context)
    assert client.patch(f"/api/v1/offers/{offer['id']}", json={"duration_minutes": 0}).status_code == 422
    assert client.patch(f"/api/v1/advisors/{setup['anne']['id']}", json={"timezone": "Nowhere"}).status_code == 422
    assert outbox(context) == before
