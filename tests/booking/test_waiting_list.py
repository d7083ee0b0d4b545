"""The waiting list of a full group meeting (afventerliste) over HTTP: a citizen joins it when
no seat is left; a freed seat is held for the first in line and offered by e-mail; the
citizen takes it or leaves; when the time runs out (the clock moved, not waited for), the
seat passes to the next, and with no one left it is free for everyone."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from services.booking import waiting_list
from services.booking.models import CitizenMail, GroupMeetingView
from shared import events as ev
from tests.booking.conftest import TOMORROW, BookingService, at, build_service, fictitious_cpr
from tests.booking.test_group_seats import free_seats, publish_group, race, seat, taken

PUBLIC_URL = "https://booking.jobcenter.example"


def email(n: int) -> str:
    return f"borger{n}@example.org"


def join(service: BookingService, offer: ev.OfferPayload, meeting: ev.GroupMeetingPayload, n: int, **body: Any) -> Any:
    """Citizen ``n`` joins the list a minute after the one before (the line is by the time of joining)."""
    service.clock.now += timedelta(minutes=1)
    path = f"/api/v1/offers/{offer.offer_id}/meetings/{meeting.meeting_id}/waiting-list"
    return service.client().post(path, json={"citizen": {"cpr": fictitious_cpr(n)}, "email": email(n)} | body)


def on_list(service: BookingService, offer: ev.OfferPayload, meeting: ev.GroupMeetingPayload) -> list[tuple[str, str]]:
    """Staff's view of the list: (status, e-mail) in order."""
    answer = service.client().get(f"/api/v1/offers/{offer.offer_id}/meetings/{meeting.meeting_id}/waiting-list")
    assert answer.status_code == 200, answer.get_json()
    return [(item["status"], item["email"]) for item in answer.get_json()["items"]]


def entry_post(service: BookingService, entry: dict[str, Any], action: str, n: int) -> Any:
    return service.client().post(
        f"/api/v1/waiting-list/{entry['id']}/{action}", json={"citizen": {"cpr": fictitious_cpr(n)}}
    )


def cancel(service: BookingService, booking: dict[str, Any], n: int) -> None:
    answer = service.client().post(
        f"/api/v1/bookings/{booking['id']}/cancel", json={"citizen": {"cpr": fictitious_cpr(n)}}
    )
    assert answer.status_code == 200, answer.get_json()


def seat_offers(service: BookingService) -> list[tuple[str, str]]:
    with service.context.db.transaction() as session:
        mails = session.scalars(
            select(CitizenMail).where(CitizenMail.kind == "seat_offered").order_by(CitizenMail.created_at)
        )
        return [(m.recipient, m.body) for m in mails]


def held(service: BookingService, meeting: ev.GroupMeetingPayload) -> int:
    with service.context.db.transaction() as session:
        row = session.get(GroupMeetingView, uuid.UUID(meeting.meeting_id))
        assert row is not None
        return row.held


def pass_on(service: BookingService) -> int:
    with service.context.db.transaction() as session:
        return waiting_list.pass_on_expired_offers(session, service.context.settings, service.clock())


def full_meeting(service: BookingService, days: int = 3) -> tuple[ev.OfferPayload, ev.GroupMeetingPayload, Any]:
    """A group offer with one meeting of one seat, taken by citizen 0."""
    offer = publish_group(service, (days, 1, 0))
    [meeting] = offer.meetings
    booked = seat(service, offer, meeting, 0)
    assert booked.status_code == 201
    return offer, meeting, booked.get_json()


def test_a_citizen_joins_the_list_only_of_a_full_meeting(service: BookingService) -> None:
    offer = publish_group(service, (3, 1, 0), (4, 2, 0))
    full, roomy = offer.meetings
    assert seat(service, offer, full, 0).status_code == 201
    first = join(service, offer, full, 1)
    assert first.status_code == 201, first.get_json()
    assert (first.get_json()["status"], first.get_json()["position"]) == ("waiting", 1)
    assert join(service, offer, full, 2).get_json()["position"] == 2
    free = join(service, offer, roomy, 3)
    assert free.status_code == 409 and free.get_json()["code"] == "seats_free"
    twice = join(service, offer, roomy, 1)  # one place on a list per offer
    assert twice.status_code == 409 and twice.get_json()["code"] in {"already_waiting", "seats_free"}
    again = join(service, offer, full, 1)
    assert again.status_code == 409 and again.get_json()["code"] == "already_waiting"
    booked = join(service, offer, full, 0)
    assert booked.status_code == 409 and booked.get_json()["code"] == "already_booked"
    no_address = join(service, offer, full, 4, email="")
    assert no_address.status_code == 422
    assert on_list(service, offer, full) == [("waiting", email(1)), ("waiting", email(2))]


@pytest.fixture
def public_service(booking_pg_url: str) -> Iterator[BookingService]:
    """The booking app at its public address (the e-mails link to it)."""
    built = build_service(booking_pg_url, booking_public_url=PUBLIC_URL)
    yield built
    built.context.close()


def test_a_freed_seat_is_held_for_the_first_in_line_and_offered_by_e_mail(public_service: BookingService) -> None:
    service = public_service
    offer, meeting, booking = full_meeting(service)
    first = join(service, offer, meeting, 1).get_json()
    join(service, offer, meeting, 2)
    cancel(service, booking, 0)
    assert free_seats(service, offer) == [0] and held(service, meeting) == 1  # nobody else may take it
    refused = seat(service, offer, meeting, 3)
    assert refused.status_code == 409 and refused.get_json()["code"] == "meeting_full"
    assert on_list(service, offer, meeting) == [("offered", email(1)), ("waiting", email(2))]
    [(recipient, body)] = seat_offers(service)
    assert recipient == email(1) and f"{PUBLIC_URL}/mine-moedetilbud/{offer.offer_id}/moeder" in body
    assert fictitious_cpr(1) not in body
    not_theirs = entry_post(service, first, "take", 2)
    assert not_theirs.status_code == 404
    took = entry_post(service, first, "take", 1)
    assert took.status_code == 201, took.get_json()
    assert took.get_json()["group_meeting_id"] == meeting.meeting_id
    assert taken(service, meeting) == (1, 1) and held(service, meeting) == 0
    assert on_list(service, offer, meeting) == [("waiting", email(2))]


def test_the_offer_expires_and_passes_to_the_next_then_to_everyone(service: BookingService) -> None:
    offer, meeting, booking = full_meeting(service, days=6)
    first = join(service, offer, meeting, 1).get_json()
    second = join(service, offer, meeting, 2).get_json()
    cancel(service, booking, 0)
    hours = service.context.settings.waiting_list_hold_hours
    service.clock.now += timedelta(hours=hours) - timedelta(minutes=1)
    assert pass_on(service) == 0  # a minute left: still held for the first
    service.clock.now += timedelta(minutes=1)
    assert pass_on(service) == 1
    assert on_list(service, offer, meeting) == [("offered", email(2))]
    late = entry_post(service, first, "take", 1)
    assert late.status_code == 409 and late.get_json()["code"] == "seat_offer_expired"
    assert [recipient for recipient, _ in seat_offers(service)] == [email(1), email(2)]

    service.clock.now += timedelta(hours=hours)
    assert pass_on(service) == 1
    assert on_list(service, offer, meeting) == [] and held(service, meeting) == 0
    assert free_seats(service, offer) == [1]  # no one waits: the seat is everyone's again
    assert entry_post(service, second, "take", 2).status_code == 409
    assert seat(service, offer, meeting, 3).status_code == 201


def test_a_seat_is_never_held_past_the_last_day_it_may_be_booked(service: BookingService) -> None:
    offer, meeting, booking = full_meeting(service, days=0)  # tomorrow at 10: bookable until midnight
    entry = join(service, offer, meeting, 1).get_json()
    cancel(service, booking, 0)
    answer = service.client().get(f"/api/v1/offers/{offer.offer_id}/meetings/{meeting.meeting_id}/waiting-list")
    [item] = answer.get_json()["items"]
    assert item["offer_expires_at"] == at(TOMORROW, 0).isoformat()
    service.clock.now = at(TOMORROW, 0)
    pass_on(service)
    assert on_list(service, offer, meeting) == [] and held(service, meeting) == 0
    assert entry_post(service, entry, "take", 1).status_code == 409


def test_leaving_passes_the_held_seat_to_the_next_at_once(service: BookingService) -> None:
    offer, meeting, booking = full_meeting(service)
    first = join(service, offer, meeting, 1).get_json()
    waiting = join(service, offer, meeting, 2).get_json()
    cancel(service, booking, 0)
    left = entry_post(service, first, "leave", 1)
    assert left.status_code == 200 and left.get_json()["status"] == "left"
    assert on_list(service, offer, meeting) == [("offered", email(2))] and held(service, meeting) == 1
    assert entry_post(service, first, "leave", 1).status_code == 409  # gone already
    assert entry_post(service, waiting, "take", 2).status_code == 201
    assert taken(service, meeting) == (1, 1) and held(service, meeting) == 0


def test_more_seats_go_to_the_list_and_a_cancelled_meeting_closes_it(service: BookingService) -> None:
    offer, meeting, _booking = full_meeting(service)
    for n in (1, 2, 3):
        join(service, offer, meeting, n)
    more = meeting.model_copy(update={"seats": 3})
    changed = offer.model_copy(update={"meetings": [more], "changed_at": offer.changed_at + timedelta(minutes=1)})
    assert service.deliver(changed.envelope(ev.OFFER_CHANGED))
    assert on_list(service, offer, meeting) == [("offered", email(1)), ("offered", email(2)), ("waiting", email(3))]
    gone = more.model_copy(update={"cancelled": True})
    cancelled = offer.model_copy(update={"meetings": [gone], "changed_at": offer.changed_at + timedelta(minutes=2)})
    assert service.deliver(cancelled.envelope(ev.OFFER_CHANGED))
    assert on_list(service, offer, meeting) == [] and held(service, meeting) == 0


def test_a_freed_seat_goes_to_the_list_even_while_many_race_for_it(service: BookingService) -> None:
    offer, meeting, booking = full_meeting(service)
    join(service, offer, meeting, 1)
    calls = [lambda: service.client().post(
        f"/api/v1/bookings/{booking['id']}/cancel", json={"citizen": {"cpr": fictitious_cpr(0)}}
    )]  # fmt: skip
    calls += [lambda n=n: seat(service, offer, meeting, n) for n in range(2, 22)]
    answers = race(calls)
    assert answers[0] == 200 and answers[1:] == [409] * 20
    assert taken(service, meeting) == (0, 0) and held(service, meeting) == 1
    assert on_list(service, offer, meeting) == [("offered", email(1))]
