"""Which starts an offer offers, per advisor, for a fixed moment ``NOW``."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from services.calendar_sync.compute import compute_offer_availability
from services.calendar_sync.consumer import apply_advisor_changed, apply_booking_created, apply_offer
from services.calendar_sync.models import AdvisorCalendar, CalendarObject, intervals_to_json
from services.calendar_sync.sync import sync_window
from shared import events as ev
from shared.events import AvailabilityPayload
from shared.intervals import Interval
from shared.service import ServiceContext
from tests.calendar_sync.factories import CPH, advisor_changed, at, booking_payload, local_hhmm, new_id, offer_payload

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=CPH)  # Tuesday 1 December 2026
TUE, WED, THU, FRI = (date(2026, 12, d) for d in (1, 2, 3, 4))


def synced_advisor(context: ServiceContext, busy: list[Interval] = (), **kwargs: object) -> str:  # type: ignore[assignment]
    """An advisor whose calendar was read at NOW and holds ``busy``."""
    advisor_id = new_id()
    with context.db.transaction() as session:
        apply_advisor_changed(
            session,
            advisor_changed(advisor_id, caldav_url=None, secret_keys=context.settings.secret_keys, **kwargs),  # type: ignore[arg-type]
        )
        row = session.get(AdvisorCalendar, advisor_id)
        assert row is not None
        window = sync_window(NOW, row.timezone, context.settings.availability_horizon_days)
        row.last_success_at, row.synced_from, row.synced_until = NOW, window.start, window.end
        session.add(
            CalendarObject(
                advisor_id=advisor_id,
                href=f"/anne/work/{advisor_id}.ics",
                etag='"1"',
                uid="meetings",
                busy=intervals_to_json(list(busy)),
                window_start=window.start,
                window_end=window.end,
            )
        )
    return advisor_id


def publish(context: ServiceContext, advisor_ids: list[str], **overrides: object) -> str:
    offer = offer_payload(new_id(), advisor_ids, **overrides)
    with context.db.transaction() as session:
        apply_offer(session, offer.envelope(ev.OFFER_PUBLISHED))
    return offer.offer_id


def compute(context: ServiceContext, offer_id: str) -> AvailabilityPayload:
    with context.db.transaction() as session:
        payload = compute_offer_availability(session, context.settings, offer_id, NOW)
    assert payload is not None
    return payload


def starts(payload: AvailabilityPayload, advisor_id: str) -> list[datetime]:
    return [slot.start for slot in payload.slots if slot.advisor_id == advisor_id]


def test_starts_respect_working_hours_busy_time_reporting_time_start_minutes_and_notice(
    context: ServiceContext,
) -> None:
    advisor_id = synced_advisor(context, [Interval(at(WED, 10), at(WED, 11))])
    offer_id = publish(context, [advisor_id], end_date=FRI, duration_minutes=30, reporting_minutes=15)

    payload = compute(context, offer_id)
    found = starts(payload, advisor_id)

    # Working 08:00-12:00 and 12:30-15:30; busy 10-11; a start needs 30 + 15 free minutes.
    assert local_hhmm(found, WED) == ["08:00", "08:30", "09:00", "11:00", "12:30", "13:00", "13:30", "14:00", "14:30"]
    assert local_hhmm(found, TUE) == [], "one day's notice: nothing today"
    assert all(s.astimezone(CPH).minute in (0, 30) for s in found)
    assert max(found).astimezone(CPH).date() == FRI, "nothing after the fixed end date"
    assert payload.withheld_advisor_ids == []
    assert payload.window_start == at(WED, 0) and payload.window_end == at(FRI + timedelta(days=1), 0)


def test_a_booked_meeting_of_the_advisor_in_another_offer_removes_overlapping_starts(
    context: ServiceContext,
) -> None:
    advisor_id = synced_advisor(context)
    offer_id = publish(context, [advisor_id], end_date=FRI)
    other_offer = publish(context, [advisor_id], name="Telefonsamtale", channel="phone", end_date=FRI)
    before = local_hhmm(starts(compute(context, offer_id), advisor_id), WED)
    booking = booking_payload(advisor_id, other_offer, at(WED, 13), minutes=30, reporting=15)  # busy 13:00-13:45
    with context.db.transaction() as session:
        apply_booking_created(session, booking.envelope(ev.BOOKING_CREATED))

    after = local_hhmm(starts(compute(context, offer_id), advisor_id), WED)

    assert {"12:30", "13:00", "13:30"} <= set(before)
    assert set(before) - set(after) == {"12:30", "13:00", "13:30"}
    assert "14:00" in after


def test_closed_days_and_public_holidays_have_no_starts(context: ServiceContext) -> None:
    advisor_id = synced_advisor(context, closed_days=[THU])
    offer_id = publish(context, [advisor_id], end_date=date(2026, 12, 28))
    found = starts(compute(context, offer_id), advisor_id)
    assert local_hhmm(found, THU) == []
    assert local_hhmm(found, date(2026, 12, 25)) == [], "juledag"
    assert local_hhmm(found, FRI)


def test_a_rolling_end_is_widened_by_one_day(context: ServiceContext) -> None:
    advisor_id = synced_advisor(context)
    offer_id = publish(context, [advisor_id], rolling_weeks=1)  # today + 7 = Tuesday 8 December
    found = starts(compute(context, offer_id), advisor_id)
    assert local_hhmm(found, date(2026, 12, 9)), "the day after the rolling end is included"
    assert max(found).astimezone(CPH).date() == date(2026, 12, 9)


def test_an_advisor_whose_calendar_was_never_read_is_withheld(context: ServiceContext) -> None:
    known = synced_advisor(context)
    unread = new_id()
    with context.db.transaction() as session:
        apply_advisor_changed(
            session, advisor_changed(unread, caldav_url="http://x.invalid/", secret_keys=context.settings.secret_keys)
        )
    never_seen = new_id()
    offer_id = publish(context, [known, unread, never_seen], end_date=FRI)

    payload = compute(context, offer_id)

    assert payload.withheld_advisor_ids == [unread, never_seen]
    assert {slot.advisor_id for slot in payload.slots} == {known}


def test_inactive_and_group_offers_have_no_starts_and_unknown_offers_nothing(context: ServiceContext) -> None:
    advisor_id = synced_advisor(context)
    inactive = publish(context, [advisor_id], active=False)
    group = publish(context, [advisor_id], meeting_form="group")
    not_open = publish(context, [advisor_id], opens_on=date(2027, 1, 1))
    for offer_id in (inactive, group, not_open):
        assert compute(context, offer_id).slots == []
    with context.db.transaction() as session:
        assert compute_offer_availability(session, context.settings, new_id(), NOW) is None


def test_date_exceptions_give_a_day_off_and_other_hours(context: ServiceContext) -> None:
    advisor_id = synced_advisor(
        context, working_exceptions={WED.isoformat(): [], THU.isoformat(): [["13:00", "14:00"]]}
    )
    offer_id = publish(context, [advisor_id], end_date=FRI, duration_minutes=30, reporting_minutes=0)

    found = starts(compute(context, offer_id), advisor_id)

    assert local_hhmm(found, WED) == []  # a day off
    assert local_hhmm(found, THU) == ["13:00", "13:30"]  # only the exception's hours
    assert local_hhmm(found, FRI)[0] == "08:00"  # the weekly hours again
