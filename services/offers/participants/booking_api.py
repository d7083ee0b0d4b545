"""The offers service's client of booking's participant API (``POST /api/v1/offers/{id}/participants``),
and of its seat booking for staff adding a citizen to a group meeting by hand (V-7,
``POST /api/v1/offers/{id}/meetings/{meeting_id}/seats``).

Booking is another service and its answer is checked as input from outside: bounded in time
(``PLANNER_BOOKING_API_TIMEOUT_SECONDS``) and size (``MAX_ANSWER_BYTES``), each field checked
for type and length, and nothing of it (never a CPR number) written to a log: a failure is
logged by its kind only and shown to staff as "cannot be fetched now".
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

import requests

from shared.cpr import Cpr, InvalidCpr, parse_cpr
from shared.errors import UpstreamUnavailable
from shared.i18n import N_

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_ANSWER_BYTES = 8 * 1024 * 1024
UNAVAILABLE = N_("Deltagerlisten kan ikke hentes lige nu. Prøv igen om lidt.")


class ParticipantsUnavailable(UpstreamUnavailable):
    """Booking did not answer, or answered something that is not a participant list."""

    code = "participants_unavailable"

    def __init__(self) -> None:
        super().__init__(UNAVAILABLE)


@dataclass(frozen=True)
class BookedCitizen:
    """One participant as booking gave it; ``cpr`` only when it was asked for."""

    booking_id: uuid.UUID
    reference: str
    name: str | None
    cpr_masked: str
    cpr: Cpr | None
    contact_group: str | None
    age: int
    booking_deadline: date | None
    start: datetime
    end: datetime
    advisor_id: uuid.UUID | None
    """None for a seat at a group meeting."""
    group_meeting_id: uuid.UUID | None = None


def _text(item: dict[str, Any], key: str, limit: int, *, optional: bool = False) -> str | None:
    value = item.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ValueError(key)
    return value


def _uuid(item: dict[str, Any], key: str, *, optional: bool = False) -> uuid.UUID | None:
    value = _text(item, key, 36, optional=optional)
    return None if value is None else uuid.UUID(value)


def _moment(item: dict[str, Any], key: str) -> datetime:
    moment = datetime.fromisoformat(str(_text(item, key, 40)))
    if moment.tzinfo is None:
        raise ValueError(key)
    return moment


def _citizen(item: Any) -> BookedCitizen:
    """One item of the answer, checked (ValueError for anything out of shape)."""
    if not isinstance(item, dict):
        raise ValueError("item")
    cpr_text = _text(item, "cpr", 11, optional=True)
    deadline = _text(item, "booking_deadline", 10, optional=True)
    age = item.get("age")
    if not isinstance(age, int) or isinstance(age, bool) or not 0 <= age <= 200:
        raise ValueError("age")
    try:
        cpr = parse_cpr(cpr_text) if cpr_text is not None else None
    except InvalidCpr as exc:
        raise ValueError("cpr") from exc
    return BookedCitizen(
        booking_id=uuid.UUID(str(_text(item, "booking_id", 36))),
        reference=str(_text(item, "reference", 20)),
        name=_text(item, "name", 200, optional=True),
        cpr_masked=str(_text(item, "cpr_masked", 11)),
        cpr=cpr,
        contact_group=_text(item, "contact_group", 200, optional=True),
        age=age,
        booking_deadline=date.fromisoformat(deadline) if deadline else None,
        start=_moment(item, "start"),
        end=_moment(item, "end"),
        advisor_id=_uuid(item, "advisor_id", optional=True),
        group_meeting_id=_uuid(item, "group_meeting_id", optional=True),
    )


@dataclass(frozen=True)
class BookedMeetingInfo:
    """A booking as the conflicts page shows it: whose, when, and how to reach the citizen."""

    booking_id: uuid.UUID
    offer_id: uuid.UUID
    reference: str
    name: str | None
    email: str | None
    start: datetime
    end: datetime
    cancelled: bool


def _meeting(item: Any) -> BookedMeetingInfo:
    if not isinstance(item, dict) or not isinstance(item.get("cancelled"), bool):
        raise ValueError("item")
    return BookedMeetingInfo(
        booking_id=uuid.UUID(str(_text(item, "booking_id", 36))),
        offer_id=uuid.UUID(str(_text(item, "offer_id", 36))),
        reference=str(_text(item, "reference", 20)),
        name=_text(item, "name", 200, optional=True),
        email=_text(item, "email", 254, optional=True),
        start=_moment(item, "start"),
        end=_moment(item, "end"),
        cancelled=item["cancelled"],
    )


SEAT_REFUSALS = (400, 403, 404, 409, 422)
"""Booking's refusals of a seat that its problem document explains (anything else: unavailable)."""
SEAT_FIELDS = ("email", "override_reason")


@dataclass(frozen=True)
class SeatAnswer:
    """Booking's answer to adding a citizen to a meeting: the seat's ``reference``, or the
    refusal's ``code`` (``not_eligible``, ``meeting_full``, ``already_booked`` ...), its Danish
    ``detail`` and its messages per field (``email``, ``override_reason``)."""

    reference: str | None = None
    code: str | None = None
    detail: str | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def seated(self) -> bool:
        return self.reference is not None


def _field_errors(found: Any) -> dict[str, list[str]]:
    """The problem's messages of the fields the page has (others are left out)."""
    if found is None:
        return {}
    if not isinstance(found, dict):
        raise ValueError("errors")
    errors = {}
    for name in SEAT_FIELDS:
        messages = found.get(name)
        if messages is None:
            continue
        if not isinstance(messages, list) or not all(isinstance(m, str) and len(m) <= 500 for m in messages[:5]):
            raise ValueError(name)
        errors[name] = messages[:5]
    return errors


@dataclass(frozen=True)
class WaitingCitizen:
    """One citizen on a group meeting's waiting list, as booking gave it (the CPR number masked)."""

    entry_id: uuid.UUID
    position: int
    offered: bool
    name: str | None
    cpr_masked: str
    email: str
    joined_at: datetime
    offer_expires_at: datetime | None


def _waiting(item: Any) -> WaitingCitizen:
    if not isinstance(item, dict) or item.get("status") not in ("waiting", "offered"):
        raise ValueError("item")
    position = item.get("position")
    if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position <= 100_000:
        raise ValueError("position")
    expires = item.get("offer_expires_at")
    return WaitingCitizen(
        entry_id=uuid.UUID(str(_text(item, "id", 36))),
        position=position,
        offered=item["status"] == "offered",
        name=_text(item, "name", 200, optional=True),
        cpr_masked=str(_text(item, "cpr_masked", 11)),
        email=str(_text(item, "email", 254)),
        joined_at=_moment(item, "joined_at"),
        offer_expires_at=_moment(item, "offer_expires_at") if expires is not None else None,
    )


class BookingApi:
    """Asks booking for an offer's participants, and gives a citizen a seat, with the offers
    service's own API key (it needs to write participants at the offer's job centre to add)."""

    def __init__(self, base_url: str, api_key: str, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
        self.timeout = timeout
        self._http = requests.Session()

    def _exchange(
        self, method: str, path: str, what: str, body: Any, read: Collection[int], empty: Collection[int] = ()
    ) -> tuple[int, Any]:
        """Booking's HTTP status and JSON answer to ``method path``, bounded in time and size:
        the answer read for a status in ``read``, None for one in ``empty``;
        ParticipantsUnavailable for any other. ``what`` names it in the log."""
        url = f"{self.base_url}{path}"
        try:
            with self._http.request(
                method, url, json=body, headers=self._headers, timeout=self.timeout, stream=True
            ) as answer:
                status = answer.status_code
                if status in empty:
                    return status, None
                if status not in read:
                    log.warning("booking's %s answered HTTP %s", what, status)
                    raise ParticipantsUnavailable
                raw = answer.raw.read(MAX_ANSWER_BYTES + 1, decode_content=True)
        except requests.RequestException as exc:
            log.warning("booking's %s did not answer (%s)", what, type(exc).__name__)
            raise ParticipantsUnavailable from None
        if len(raw) > MAX_ANSWER_BYTES:
            log.warning("booking's %s was larger than %s bytes", what, MAX_ANSWER_BYTES)
            raise ParticipantsUnavailable
        try:
            return status, json.loads(raw)
        except ValueError:
            log.warning("booking's %s was not JSON", what)
            raise ParticipantsUnavailable from None

    def _answer(self, method: str, path: str, what: str, body: Any = None) -> Any:
        """Booking's JSON answer to ``method path`` (None for 404); ParticipantsUnavailable for
        any other status than 200 (``_exchange``)."""
        return self._exchange(method, path, what, body, read=(200,), empty=(404,))[1]

    def _items(self, answer: Any, key: str, parse: Callable[[Any], T], what: str) -> list[T]:
        try:
            items = answer[key]
            if not isinstance(items, list):
                raise ValueError(key)
            return [parse(item) for item in items]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("booking's %s was not in shape (%s)", what, type(exc).__name__)
            raise ParticipantsUnavailable from None

    def participants(
        self,
        offer_id: uuid.UUID,
        *,
        search: str | None = None,
        reveal: Collection[uuid.UUID] = (),
        everyone: bool = False,
        meeting_id: uuid.UUID | None = None,
    ) -> list[BookedCitizen]:
        """The offer's participants (``search``: a name or CPR number; ``reveal``: the bookings
        whose full CPR number to get; ``everyone``: all of them; ``meeting_id``: only the seats
        of that group meeting). An offer booking has not heard of yet has none.
        ParticipantsUnavailable when booking does not answer as agreed."""
        body = {"search": search, "reveal": [str(i) for i in reveal], "reveal_all": everyone,
                "meeting_id": str(meeting_id) if meeting_id else None}  # fmt: skip
        what = "participant list"
        answer = self._answer("POST", f"/api/v1/offers/{offer_id}/participants", what, body)
        return [] if answer is None else self._items(answer, "items", _citizen, what)

    def free_times(self, offer_id: uuid.UUID) -> list[datetime] | None:
        """The offer's free times as booking offers them to anyone (their starts); None when
        booking does not offer the offer now (inactive, not open yet, unknown)."""
        answer = self._answer("GET", f"/api/v1/offers/{offer_id}/times", "free times")
        if answer is None:
            return None
        return self._items(answer, "times", lambda item: _moment(item, "start"), "free times")

    def meetings(self, booking_ids: Collection[uuid.UUID]) -> list[BookedMeetingInfo]:
        """The bookings ``booking_ids`` with their citizens' names and e-mail addresses."""
        if not booking_ids:
            return []
        body = {"booking_ids": [str(i) for i in sorted(booking_ids)][:500]}
        answer = self._answer("POST", "/api/v1/bookings/lookup", "booking lookup", body)
        return [] if answer is None else self._items(answer, "items", _meeting, "booking lookup")

    def waiting_list(self, offer_id: uuid.UUID, meeting_id: uuid.UUID) -> list[WaitingCitizen]:
        """The group meeting's waiting list: the citizens a freed seat is held for, then those in line."""
        what = "waiting list"
        answer = self._answer("GET", f"/api/v1/offers/{offer_id}/meetings/{meeting_id}/waiting-list", what)
        return [] if answer is None else self._items(answer, "items", _waiting, what)

    def add_seat(
        self,
        offer_id: uuid.UUID,
        meeting_id: uuid.UUID,
        cpr: Cpr,
        *,
        email: str | None = None,
        override_reason: str | None = None,
        above_capacity: bool = False,
        on_behalf_of: str | None = None,
    ) -> SeatAnswer:
        """Give the citizen ``cpr`` a seat at the group meeting (V-7), staff adding them by hand:
        ``override_reason`` sets the offer's rules aside, ``above_capacity`` confirms a seat
        beyond the meeting's; ``on_behalf_of`` is the person here, whom booking records with this
        service as who added the citizen. The seat's reference, or booking's refusal (its code and Danish
        detail); ParticipantsUnavailable when booking does not answer as agreed (the seat may
        then have been given: the participant list says). The CPR number goes in the body only."""
        body = {"citizen": {"cpr": cpr.digits}, "email": email or None, "override_reason": override_reason or None,
                "above_capacity": above_capacity, "on_behalf_of": on_behalf_of}  # fmt: skip
        path, what = f"/api/v1/offers/{offer_id}/meetings/{meeting_id}/seats", "seat booking"
        status, answer = self._exchange("POST", path, what, body, read=(201, *SEAT_REFUSALS))
        try:
            if not isinstance(answer, dict):
                raise ValueError("answer")
            if status == 201:
                return SeatAnswer(reference=_text(answer, "reference", 20))
            return SeatAnswer(code=_text(answer, "code", 60), detail=_text(answer, "detail", 2000),
                              errors=_field_errors(answer.get("errors")))  # fmt: skip
        except ValueError as exc:
            log.warning("booking's %s was not in shape (%s)", what, type(exc).__name__)
            raise ParticipantsUnavailable from None
