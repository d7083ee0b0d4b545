"""Seats at group meetings (fællesmøder, O-12, O-13, B-6) over HTTP: citizens see each
meeting's free seats, book one, cancel it (the seat is free at once) and move to another
meeting, where a rebooking citizen may take the extra seats; concurrent requests never take
more seats than there are."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from services.booking.models import Booking, CitizenMail, GroupMeetingView
from shared import events as ev
from tests.booking.conftest import TOMORROW, BookingService, at, fictitious_cpr

FULL = "Mødet er desværre fuldt. Vælg et andet møde."
FULL_STAFF = "Mødet er fuldt. Skal borgeren have en plads ud over mødets pladser, så bekræft det (above_capacity)."
SICK_PAY = {"join": "and", "groups": [{"match": "all", "rules": [
    {"type": "contact_group", "condition": "eq", "value": "Sygedagpengemodtager"}]}]}  # fmt: skip


def publish_group(service: BookingService, *meetings: tuple[int, int, int], **overrides: Any) -> ev.OfferPayload:
    """A group offer with a meeting per ``(days after tomorrow, seats, extra seats)``, 10:00-11:00."""
    return service.publish_offer(
        meeting_form="group", start_minutes=[], citizen_may_choose_advisor=False, duration_minutes=60,
        meetings=[
            ev.GroupMeetingPayload(
                meeting_id=str(uuid.uuid4()), start=at(TOMORROW + timedelta(days=d), 10),
                end=at(TOMORROW + timedelta(days=d), 11), seats=seats, extra_seats=extra,
            )
            for d, seats, extra in meetings
        ],
        **overrides,
    )  # fmt: skip


def seat(service: BookingService, offer: ev.OfferPayload, meeting: ev.GroupMeetingPayload, n: int) -> Any:
    path = f"/api/v1/offers/{offer.offer_id}/meetings/{meeting.meeting_id}/seats"
    return service.client().post(path, json={"citizen": {"cpr": fictitious_cpr(n)}})


def free_seats(service: BookingService, offer: ev.OfferPayload) -> list[int]:
    response = service.client().get(f"/api/v1/offers/{offer.offer_id}/meetings")
    assert response.status_code == 200, response.get_json()
    return [m["free_seats"] for m in response.get_json()["items"]]


def taken(service: BookingService, meeting: ev.GroupMeetingPayload) -> tuple[int, int]:
    """The meeting's counter and its active seat bookings: always equal."""
    with service.context.db.transaction() as session:
        row = session.get(GroupMeetingView, uuid.UUID(meeting.meeting_id))
        active = session.scalars(
            select(Booking).where(
                Booking.group_meeting_id == uuid.UUID(meeting.meeting_id), Booking.cancelled_at.is_(None)
            )
        ).all()
    assert row is not None
    return row.taken, len(active)


def seats_announced(service: BookingService) -> list[tuple[str, int]]:
    found = [ev.Envelope.from_json(m.body) for m in service.outbox() if m.event_type == ev.GROUP_SEATS_CHANGED]
    return [(e.payload["meeting_id"], e.payload["taken"]) for e in found]


def test_a_citizen_books_a_seat_and_the_last_one_goes_once(service: BookingService) -> None:
    offer = publish_group(service, (0, 2, 1), (7, 5, 0))
    first, second = offer.meetings
    assert free_seats(service, offer) == [2, 5]
    booked = seat(service, offer, first, 0)
    assert booked.status_code == 201, booked.get_json()
    body = booked.get_json()
    assert (body["group_meeting_id"], body["advisor_id"]) == (first.meeting_id, None)
    assert body["start"] == first.start.isoformat()
    assert seat(service, offer, first, 1).status_code == 201
    full = seat(service, offer, first, 2)
    assert full.status_code == 409 and full.get_json()["detail"] == FULL_STAFF  # the extra seat is for rebookers
    again = seat(service, offer, second, 0)
    assert again.status_code == 409 and again.get_json()["code"] == "already_booked"
    assert free_seats(service, offer) == [0, 5] and taken(service, first) == (2, 2)
    assert seats_announced(service) == [(first.meeting_id, 1), (first.meeting_id, 2)]
    assert all(fictitious_cpr(n) not in m.body for m in service.outbox() for n in range(3))


def test_cancelling_frees_the_seat_at_once(service: BookingService) -> None:
    offer = publish_group(service, (0, 1, 0))
    [meeting] = offer.meetings
    booking = seat(service, offer, meeting, 0).get_json()
    assert seat(service, offer, meeting, 1).status_code == 409
    cancelled = service.client().post(
        f"/api/v1/bookings/{booking['id']}/cancel", json={"citizen": {"cpr": fictitious_cpr(0)}}
    )
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert free_seats(service, offer) == [1]
    assert seat(service, offer, meeting, 1).status_code == 201
    assert taken(service, meeting) == (1, 1)


def test_a_rebooking_citizen_may_take_an_extra_seat(service: BookingService) -> None:
    offer = publish_group(service, (7, 3, 0), (14, 1, 1))
    here, there = offer.meetings
    assert seat(service, offer, there, 9).status_code == 201  # "there" has no ordinary seat left
    assert seat(service, offer, there, 8).status_code == 409
    mine = seat(service, offer, here, 0).get_json()
    moved = service.client().post(
        f"/api/v1/bookings/{mine['id']}/rebook-seat",
        json={"meeting_id": there.meeting_id, "citizen": {"cpr": fictitious_cpr(0)}},
    )
    assert moved.status_code == 201, moved.get_json()
    assert moved.get_json()["group_meeting_id"] == there.meeting_id
    assert taken(service, here) == (0, 0) and taken(service, there) == (2, 2)
    other = seat(service, offer, here, 1).get_json()
    no_more = service.client().post(
        f"/api/v1/bookings/{other['id']}/rebook-seat",
        json={"meeting_id": there.meeting_id, "citizen": {"cpr": fictitious_cpr(1)}},
    )
    assert no_more.status_code == 409 and no_more.get_json()["detail"] == FULL
    assert taken(service, here) == (1, 1)  # the refused move kept the old seat


def test_a_cancelled_meeting_is_not_offered(service: BookingService) -> None:
    offer = publish_group(service, (0, 5, 0), (7, 5, 0))
    cancelled = offer.model_copy(
        update={"meetings": [offer.meetings[0].model_copy(update={"cancelled": True}), offer.meetings[1]],
                "changed_at": offer.changed_at + timedelta(minutes=1)}
    )  # fmt: skip
    assert service.deliver(cancelled.envelope(ev.OFFER_CHANGED))
    assert free_seats(service, offer) == [5]
    refused = seat(service, offer, offer.meetings[0], 0)
    assert refused.status_code == 404 and refused.get_json()["detail"] == "Mødet findes ikke."


def test_an_individual_offer_has_no_seats(service: BookingService) -> None:
    offer = service.publish_offer()
    refused = service.client().post(
        f"/api/v1/offers/{offer.offer_id}/meetings/{uuid.uuid4()}/seats", json={"citizen": {"cpr": fictitious_cpr(0)}}
    )
    assert refused.status_code == 409 and refused.get_json()["code"] == "not_a_group_offer"


def test_twenty_citizens_race_for_ten_seats_and_rebookers_for_the_extra_ones(service: BookingService) -> None:
    offer = publish_group(service, (7, 10, 0), (14, 4, 3))
    crowded, roomy = offer.meetings
    results = race([lambda n=n: seat(service, offer, crowded, n) for n in range(20)])
    assert sorted(results) == [201] * 10 + [409] * 10
    assert taken(service, crowded) == (10, 10)

    # five booked citizens move to "roomy" while four others book it for the first time: 4
    # ordinary seats that anyone may take, 3 extra ones that only the movers may
    movers = [b for b in service.bookings() if b.group_meeting_id == uuid.UUID(crowded.meeting_id)][:5]
    owners = [service.vault.unseal(b.citizen_cpr_sealed).digits for b in movers]
    service.add_citizens(*range(20, 24))

    def move(booking: Booking, cpr: str) -> Any:
        body = {"meeting_id": roomy.meeting_id, "citizen": {"cpr": cpr}}
        return service.client().post(f"/api/v1/bookings/{booking.id}/rebook-seat", json=body)

    calls = [lambda b=b, c=c: move(b, c) for b, c in zip(movers, owners, strict=True)]
    calls += [lambda n=n: seat(service, offer, roomy, n) for n in range(20, 24)]
    answers = race(calls)
    assert set(answers) <= {201, 409}
    moved, first = answers[:5].count(201), answers[5:].count(201)
    assert first <= 4 and moved + first <= 7
    assert moved == 5 or moved + first == 7  # a mover is turned away only when all 7 seats are taken
    assert first == 4 or moved + first >= 4  # a first-timer only when the 4 ordinary ones are
    assert taken(service, roomy) == (moved + first, moved + first)
    assert taken(service, crowded) == (10 - moved, 10 - moved)


def race(calls: list[Any]) -> list[int]:
    """Run every call from its own thread, released at once; their status codes, in order."""
    barrier = threading.Barrier(len(calls))
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def run(position: int, call: Any) -> None:
        barrier.wait()
        status = call().status_code
        with lock:
            statuses[position] = status

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(statuses) == len(calls)
    return [statuses[i] for i in range(len(calls))]


def test_a_meeting_cancelled_by_staff_cancels_its_seats_and_tells_the_citizens(service: BookingService) -> None:
    offer = publish_group(service, (0, 5, 0), (7, 5, 0))
    gone, kept = offer.meetings
    path = f"/api/v1/offers/{offer.offer_id}/meetings/{gone.meeting_id}/seats"
    for n, email in ((0, "anna@example.org"), (1, None)):
        body: dict[str, Any] = {"citizen": {"cpr": fictitious_cpr(n)}, "email": email}
        assert service.client().post(path, json=body).status_code == 201
    assert seat(service, offer, kept, 2).status_code == 201
    wrong = service.client().post(path, json={"citizen": {"cpr": fictitious_cpr(3)}, "email": "ikke en adresse"})
    assert wrong.status_code == 422 and "email" in wrong.get_json()["errors"]
    cancelled = offer.model_copy(
        update={"meetings": [gone.model_copy(update={"cancelled": True}), kept],
                "changed_at": offer.changed_at + timedelta(minutes=1)}
    )  # fmt: skip
    envelope = cancelled.envelope(ev.OFFER_CHANGED)
    assert service.deliver(envelope)
    assert service.deliver(envelope) is False  # redelivered: nothing twice
    assert service.deliver(cancelled.envelope(ev.OFFER_CHANGED))  # announced again: still nothing twice
    statuses = {str(b.group_meeting_id): [] for b in service.bookings()}
    for booking in service.bookings():
        statuses[str(booking.group_meeting_id)].append(booking.status)
    assert sorted(statuses[gone.meeting_id]) == ["cancelled", "cancelled"] and statuses[kept.meeting_id] == ["active"]
    assert taken(service, gone) == (0, 0)
    with service.context.db.transaction() as session:
        mails = sorted((m.kind, m.recipient) for m in session.scalars(select(CitizenMail)))
    assert mails == [("cancelled", "anna@example.org"), ("confirmation", "anna@example.org")]


def test_staff_add_a_citizen_by_hand_above_the_seats_only_when_they_confirm_it(service: BookingService) -> None:
    offer = publish_group(service, (0, 1, 0), rules=SICK_PAY)
    [meeting] = offer.meetings
    path = f"/api/v1/offers/{offer.offer_id}/meetings/{meeting.meeting_id}/seats"
    service.add_citizens(0, 1, contact_group="Sygedagpengemodtager")  # two who meet the rules, one who does not: 2
    assert service.client().post(path, json={"citizen": {"cpr": fictitious_cpr(0)}}).status_code == 201
    full = service.client().post(path, json={"citizen": {"cpr": fictitious_cpr(1)}})
    assert full.status_code == 409 and "bekræft det (above_capacity)" in full.get_json()["detail"]
    added = service.client().post(path, json={"citizen": {"cpr": fictitious_cpr(1)}, "above_capacity": True})
    assert added.status_code == 201, added.get_json()
    assert taken(service, meeting) == (2, 2)

    refused = service.client().post(path, json={"citizen": {"cpr": fictitious_cpr(2)}, "above_capacity": True})
    assert refused.status_code == 403 and refused.get_json()["code"] == "not_eligible"  # the rules still apply
    reason = "Aftalt med borgerens sagsbehandler"
    body = {"citizen": {"cpr": fictitious_cpr(2)}, "above_capacity": True, "override_reason": reason,
            "on_behalf_of": "staff:pia"}  # fmt: skip
    overridden = service.client().post(path, json=body)
    assert overridden.status_code == 201, overridden.get_json()
    [row] = [b for b in service.bookings() if str(b.id) == overridden.get_json()["id"]]
    assert row.override_reason == reason and row.added_by and row.added_by.startswith("staff:pia via machine:")
    assert taken(service, meeting) == (3, 3)


def test_a_meeting_moved_by_staff_moves_its_seats(service: BookingService) -> None:
    offer = publish_group(service, (0, 5, 0))
    [meeting] = offer.meetings
    assert seat(service, offer, meeting, 0).status_code == 201
    three = timedelta(hours=3)
    later = meeting.model_copy(update={"start": meeting.start + three, "end": meeting.end + three})
    moved = offer.model_copy(update={"meetings": [later], "changed_at": offer.changed_at + timedelta(minutes=1)})
    assert service.deliver(moved.envelope(ev.OFFER_CHANGED))
    [booking] = service.bookings()
    assert (booking.start_at, booking.end_at) == (later.start, later.end) and booking.status == "active"


def test_citizens_are_told_when_staff_move_their_meeting(service: BookingService) -> None:
    offer = publish_group(service, (0, 5, 0))
    [meeting] = offer.meetings
    path = f"/api/v1/offers/{offer.offer_id}/meetings/{meeting.meeting_id}/seats"
    body = {"citizen": {"cpr": fictitious_cpr(0)}, "email": "anna@example.org"}
    assert service.client().post(path, json=body).status_code == 201
    assert seat(service, offer, meeting, 1).status_code == 201  # no address: no e-mail

    def move(hours: int, minutes: int) -> None:
        later = meeting.model_copy(
            update={"start": meeting.start + timedelta(hours=hours), "end": meeting.end + timedelta(hours=hours)}
        )
        changed = offer.model_copy(
            update={"meetings": [later], "changed_at": offer.changed_at + timedelta(minutes=minutes)}
        )
        assert service.deliver(changed.envelope(ev.OFFER_CHANGED))

    def moved_mails() -> list[tuple[str, str, str]]:
        with service.context.db.transaction() as session:
            found = session.scalars(select(CitizenMail).where(CitizenMail.kind == "moved"))
            return [(m.recipient, m.subject, m.body) for m in found]

    move(3, 1)
    [(recipient, subject, text)] = moved_mails()
    assert recipient == "anna@example.org" and subject.startswith("Mødet er flyttet:") and "kl. 13.00" in subject
    assert "kl. 13.00-14.00" in text and "Den tidligere tid, tirsdag 8. december 2026 kl. 10.00-11.00" in text
    move(4, 2)  # moved again: one message, with the latest time
    [(_, subject, text)] = moved_mails()
    assert "kl. 14.00" in subject and "kl. 13.00-14.00, gælder ikke længere" in text
