"""Events forged by someone who may publish on the broker: a calendar password's ciphertext
replayed with another URL or for another advisor is never decrypted for it and never sent,
staff see why; an event dated far in the future is refused and cannot freeze an advisor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from celery import Celery

from services.calendar_sync import consumer
from services.calendar_sync.models import AdvisorCalendar
from shared import events as ev
from shared.events import Envelope
from shared.messaging import EventDelivery
from shared.secrets import NOT_THIS_CALENDAR, UNBOUND, encrypt
from shared.service import ServiceContext
from tests.calendar_sync.factories import advisor_changed, new_id
from tests.calendar_sync.test_calendar_url_policy import ConnectionRecorder, health_errors, last_error, recorder
from tests.calendar_sync.test_write_back import meeting, setup_booking

__all__ = ["recorder"]  # the fixture, imported for these tests

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def forged(genuine: Envelope, occurred_at: datetime | None = None, **payload: Any) -> Envelope:
    """An advisor.changed made from ``genuine`` (its ciphertext replayed), with ``payload`` changed."""
    return Envelope(
        type=ev.ADVISOR_CHANGED,
        payload={**genuine.payload, **payload},
        occurred_at=occurred_at or genuine.occurred_at + timedelta(seconds=1),
    )


def stored(context: ServiceContext, advisor_id: str) -> AdvisorCalendar | None:
    with context.db.transaction() as session:
        return session.get(AdvisorCalendar, advisor_id)


def test_a_password_replayed_with_another_url_is_never_sent_there_and_staff_see_why(
    context: ServiceContext, celery_app: Celery, recorder: ConnectionRecorder, new_calendar: Any
) -> None:
    advisor_id = new_id()
    genuine = advisor_changed(advisor_id, caldav_url=new_calendar("anne"), secret_keys=context.settings.secret_keys)
    consumer.handle(context, genuine)
    assert last_error(context, advisor_id) is None  # the genuine calendar is read with the password

    consumer.handle(context, forged(genuine, caldav_url=f"http://127.0.0.1:{recorder.port}/dav/"))

    assert recorder.connections == [], "the password must not be sent to the forged URL"
    assert last_error(context, advisor_id) == NOT_THIS_CALENDAR
    assert health_errors(context, advisor_id)[-1] == NOT_THIS_CALENDAR, "the calendar health tells staff"


def test_another_advisors_password_is_not_used_for_their_calendar(
    context: ServiceContext, celery_app: Celery, recorder: ConnectionRecorder
) -> None:
    url = f"http://127.0.0.1:{recorder.port}/anne/arbejde/"
    annes = advisor_changed(new_id(), caldav_url=url, secret_keys=context.settings.secret_keys)
    other = new_id()

    consumer.handle(context, forged(annes, advisor_id=other, name="Bo Nielsen"))

    assert recorder.connections == []
    assert last_error(context, other) == NOT_THIS_CALENDAR


def test_a_password_stored_before_the_binding_is_refused_until_it_is_bound(
    context: ServiceContext, celery_app: Celery, recorder: ConnectionRecorder
) -> None:
    advisor_id = new_id()
    url = f"http://127.0.0.1:{recorder.port}/anne/arbejde/"
    genuine = advisor_changed(advisor_id, caldav_url=url, secret_keys=context.settings.secret_keys)
    legacy = encrypt("anne-secret", context.settings.secret_keys)  # as the offers service sent it before

    consumer.handle(context, forged(genuine, caldav_password_encrypted=legacy))

    assert recorder.connections == []
    assert last_error(context, advisor_id) == UNBOUND
    assert "planner offers rotate-secrets" in UNBOUND


def test_no_meeting_is_written_with_a_password_replayed_to_another_url(
    context: ServiceContext, celery_app: Celery, recorder: ConnectionRecorder, new_calendar: Any
) -> None:
    booking = setup_booking(context, new_calendar("anne"))
    row = stored(context, booking.advisor_id)
    assert row is not None and row.caldav_password_encrypted
    replayed = advisor_changed(booking.advisor_id, caldav_url=row.caldav_url, secret_keys=context.settings.secret_keys)
    attack = forged(
        replayed,
        caldav_url=f"http://127.0.0.1:{recorder.port}/dav/",
        caldav_password_encrypted=row.caldav_password_encrypted,
    )
    with context.db.transaction() as session:
        consumer.apply_advisor_changed(session, attack)

    href = celery_app.tasks["calendar_sync.write_booking"].delay(booking.booking_id).get()

    assert href is None and recorder.connections == []
    assert meeting(context, booking.booking_id).write_error == NOT_THIS_CALENDAR


class Message:
    """What a consumer may do with a delivered message, recorded."""

    def __init__(self) -> None:
        self.outcome: str | None = None

    def ack(self) -> None:
        self.outcome = "acked"

    def reject(self) -> None:
        self.outcome = "rejected"

    def requeue(self) -> None:
        self.outcome = "requeued"


def deliver(delivery: EventDelivery, envelope: Envelope) -> str | None:
    message = Message()
    delivery(envelope.to_dict(), message)
    return message.outcome


def test_an_advisor_changed_from_the_far_future_is_refused_and_a_later_genuine_change_applies(
    context: ServiceContext, celery_app: Celery, caplog: pytest.LogCaptureFixture
) -> None:
    delivery = EventDelivery(lambda envelope: consumer.handle(context, envelope), clock=lambda: T0)
    advisor_id = new_id()
    keys = context.settings.secret_keys
    first = advisor_changed(advisor_id, caldav_url=None, password=None, secret_keys=keys, occurred_at=T0)
    assert deliver(delivery, first) == "acked"

    attack = forged(first, occurred_at=T0 + timedelta(days=365), name="Falsk Navn")
    assert deliver(delivery, attack) == "rejected"
    assert "Falsk Navn" not in caplog.text

    later = forged(first, occurred_at=T0 + timedelta(minutes=1), name="Anne Jensen")
    assert deliver(delivery, later) == "acked"
    row = stored(context, advisor_id)
    assert row is not None and row.name == "Anne Jensen"

    skewed = forged(first, occurred_at=T0 + timedelta(minutes=4), name="Anne Jensen-Holm")  # a clock a bit ahead
    assert deliver(delivery, skewed) == "acked"
    row = stored(context, advisor_id)
    assert row is not None and row.name == "Anne Jensen-Holm"


def test_an_advisor_frozen_by_an_earlier_far_future_event_takes_the_next_genuine_change(
    context: ServiceContext, celery_app: Celery
) -> None:
    advisor_id = new_id()
    keys = context.settings.secret_keys
    with context.db.transaction() as session:  # what a forged event left before the bound existed
        consumer.apply_advisor_changed(
            session,
            advisor_changed(
                advisor_id,
                caldav_url=None,
                password=None,
                secret_keys=keys,
                occurred_at=datetime.now(UTC) + timedelta(days=3650),
            ),
        )

    genuine = forged(
        advisor_changed(advisor_id, caldav_url=None, password=None, secret_keys=keys),
        occurred_at=datetime.now(UTC),
        name="Anne Jensen",
    )
    consumer.handle(context, genuine)

    row = stored(context, advisor_id)
    assert row is not None and row.name == "Anne Jensen"
