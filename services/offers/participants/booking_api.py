"""The offers service's client of booking's participant API (``POST /api/v1/offers/{id}/participants``).

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
from dataclasses import dataclass
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
    advisor_id: uuid.UUID


def _text(item: dict[str, Any], key: str, limit: int, *, optional: bool = False) -> str | None:
    value = item.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ValueError(key)
    return value


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
        advisor_id=uuid.UUID(str(_text(item, "advisor_id", 36))),
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


class BookingApi:
    """Asks booking for an offer's participants with the offers service's own API key."""

    def __init__(self, base_url: str, api_key: str, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
        self.timeout = timeout
        self._http = requests.Session()

    def _answer(self, method: str, path: str, what: str, body: Any = None) -> Any:
        """Booking's JSON answer to ``method path`` (None for 404), bounded in time and size;
        ParticipantsUnavailable for anything else. ``what`` names it in the log."""
        url = f"{self.base_url}{path}"
        try:
            with self._http.request(
                method, url, json=body, headers=self._headers, timeout=self.timeout, stream=True
            ) as answer:
                if answer.status_code == 404:
                    return None
                if answer.status_code != 200:
                    log.warning("booking's %s answered HTTP %s", what, answer.status_code)
                    raise ParticipantsUnavailable
                raw = answer.raw.read(MAX_ANSWER_BYTES + 1, decode_content=True)
        except requests.RequestException as exc:
            log.warning("booking's %s did not answer (%s)", what, type(exc).__name__)
            raise ParticipantsUnavailable from None
        if len(raw) > MAX_ANSWER_BYTES:
            log.warning("booking's %s was larger than %s bytes", what, MAX_ANSWER_BYTES)
            raise ParticipantsUnavailable
        try:
            return json.loads(raw)
        except ValueError:
            log.warning("booking's %s was not JSON", what)
            raise ParticipantsUnavailable from None

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
    ) -> list[BookedCitizen]:
        """The offer's participants (``search``: a name or CPR number; ``reveal``: the bookings
        whose full CPR number to get; ``everyone``: all of them). An offer booking has not heard
        of yet has none. ParticipantsUnavailable when booking does not answer as agreed."""
        body = {"search": search, "reveal": [str(i) for i in reveal], "reveal_all": everyone}
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
