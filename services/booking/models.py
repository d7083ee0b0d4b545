"""Tables of the booking service: read models fed by events, and the bookings it owns.

``offer_view`` mirrors ``offer.published`` / ``offer.changed``; ``availability_snapshot``
and ``bookable_time`` mirror ``availability.computed``. ``booking`` is this service's own
data. No advisor is ever double-booked: on PostgreSQL an exclusion constraint rejects
two active bookings of one advisor whose occupations (meeting plus reporting time)
overlap, and a partial unique index allows one active booking per citizen per offer.

A *hold* (the citizen's chosen time while they read the summary, issue 11) is a row of
``booking`` too, with ``held_until`` set: the same exclusion constraint keeps it clear of
every booking and every other hold of the advisor. A hold stops blocking when
``held_until`` has passed, through SQL alone: the free-time queries ignore such rows, and a
new booking or hold first deletes the expired holds in its way (``holds``). Confirming a
hold sets ``held_until`` to None: the row becomes the booking.

No table holds a CPR number in plain text (``shared.cpr_vault``): a row is found by the
number's keyed index (``*_cpr_index``, HMAC) and keeps it sealed (``*_cpr_sealed``, Fernet)
where it is needed again.
"""

from __future__ import annotations

import functools
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.audit import CprAccessLogMixin
from shared.auth.session_tables import PendingLoginMixin, RateLimitMixin, WebSessionMixin
from shared.db import AwareDateTime, make_metadata
from shared.outbox import OutboxMixin, ProcessedEventMixin
from shared.timeutil import utcnow

ADVISOR_OVERLAP_CONSTRAINT = "ex_booking_advisor_overlap"
"""Exclusion constraint: one advisor, no two overlapping active occupations (PostgreSQL)."""

CITIZEN_OFFER_INDEX = "uq_booking_active_citizen_offer"
"""Partial unique index: one active booking per citizen per offer."""

CITIZEN_HOLD_INDEX = "uq_booking_hold_citizen_offer"
"""Partial unique index: one hold per citizen per offer."""

IS_BOOKING = "cancelled_at IS NULL AND held_until IS NULL"
IS_HOLD = "cancelled_at IS NULL AND held_until IS NOT NULL"

REFERENCE_CONSTRAINT = "uq_booking_reference"


class Base(DeclarativeBase):
    metadata = make_metadata()


class OfferView(Base):
    """An offer as citizens may see it; replaced by each newer ``offer.*`` event."""

    __tablename__ = "offer_view"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    job_centre_code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    conversation_type: Mapped[int] = mapped_column(Integer)
    variant: Mapped[str | None] = mapped_column(String(200))
    meeting_form: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    place: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(40))
    caller: Mapped[str | None] = mapped_column(String(10))
    """Phone meetings: "advisor" calls the citizen, the "citizen" calls ``phone``; None: not told."""
    duration_minutes: Mapped[int] = mapped_column(Integer)
    reporting_minutes: Mapped[int] = mapped_column(Integer)
    start_minutes: Mapped[list[int]] = mapped_column(JSON)
    first_meeting_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    rolling_weeks: Mapped[int | None] = mapped_column(Integer)
    opens_on: Mapped[date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64))
    advisor_ids: Mapped[list[str]] = mapped_column(JSON)
    citizen_may_choose_advisor: Mapped[bool] = mapped_column(Boolean)
    accept_cancellation: Mapped[bool] = mapped_column(Boolean)
    rebooking_days_before: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(AwareDateTime())
    rules: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))  # None: shown to no citizen
    marker_routes: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))

    def advisor_uuids(self) -> list[uuid.UUID]:
        """The offer's advisors in the order staff listed them."""
        return list(_uuids(tuple(self.advisor_ids)))


@functools.lru_cache(maxsize=4096)
def _uuids(texts: tuple[str, ...]) -> tuple[uuid.UUID, ...]:
    """The advisors' ids as UUIDs, converted once per list (a booking asks several times)."""
    return tuple(uuid.UUID(str(text)) for text in texts)


class GroupMeetingView(Base):
    """A meeting of a group offer (fællesmøde) as ``offer.*`` events describe it, and how
    many of its seats are taken (this service's own count).

    ``taken`` counts the meeting's active seat bookings. It only moves by guarded updates
    (``seats``): a citizen's booking takes a seat while ``taken < seats``, a rebooking one
    while ``taken < seats + extra_seats`` (O-13), so two requests can never both get the
    last seat; cancelling gives it back at once. Fewer seats announced later leave the
    bookings where they are: no seat is free until ``taken`` is below the new number.
    """

    __tablename__ = "group_meeting_view"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    offer_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    start_at: Mapped[datetime] = mapped_column(AwareDateTime())
    end_at: Mapped[datetime] = mapped_column(AwareDateTime())
    seats: Mapped[int] = mapped_column(Integer)
    extra_seats: Mapped[int] = mapped_column(Integer)
    cancelled: Mapped[bool] = mapped_column(Boolean)
    taken: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    held: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    """Freed seats held for citizens of the waiting list (``waiting_list``) until they take them
    or their time runs out: no one else may take them."""

    __table_args__: Any = (
        CheckConstraint("taken >= 0", name="taken_not_negative"),
        CheckConstraint("held >= 0", name="held_not_negative"),
    )

    def free_for(self, *, rebooking: bool = False) -> int:
        """Seats a citizen may still take (``rebooking``: one who moves a seat of the offer and
        may take the extra seats too); held seats are nobody else's."""
        limit = self.seats + (self.extra_seats if rebooking else 0)
        return max(0, limit - self.taken - self.held)

    @property
    def free_seats(self) -> int:
        """Seats a citizen booking for the first time may still take."""
        return self.free_for()


WAITING, OFFERED = "waiting", "offered"
WAITING_LIST_ACTIVE = "status IN ('waiting', 'offered')"
WAITING_LIST_INDEX = "uq_waiting_list_citizen_offer"
"""Partial unique index: one place on a waiting list per citizen per offer."""


class WaitingListEntry(Base):
    """A citizen's place on the waiting list (afventerliste) of a full group meeting.

    ``status``: ``waiting`` (in line, by ``joined_at``), ``offered`` (a freed seat is held
    for the citizen until ``offer_expires_at``: the meeting's ``held`` counts it), then one
    of ``booked`` (the citizen took the seat: ``booking_id``), ``expired`` (the time ran
    out; the seat went to the next), ``left`` (the citizen left the list) or ``closed``
    (the meeting was cancelled, or can no longer be booked). The citizen is known by the
    CPR number's keyed index and the number sealed, as in ``booking``; ``email`` is where a
    freed seat is offered.
    """

    __tablename__ = "waiting_list_entry"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    offer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    group_meeting_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    citizen_cpr_index: Mapped[str] = mapped_column(String(64))
    citizen_cpr_sealed: Mapped[str] = mapped_column(Text)
    email: Mapped[str] = mapped_column(String(254))
    joined_at: Mapped[datetime] = mapped_column(AwareDateTime())
    status: Mapped[str] = mapped_column(String(10))
    offered_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    offer_expires_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    booking_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    __table_args__: Any = (
        CheckConstraint(
            "status IN ('waiting', 'offered', 'booked', 'expired', 'left', 'closed')", name="waiting_list_status"
        ),
        CheckConstraint("status <> 'offered' OR offer_expires_at IS NOT NULL", name="offered_until"),
        CheckConstraint("status <> 'booked' OR booking_id IS NOT NULL", name="booked_booking"),
        Index(
            WAITING_LIST_INDEX,
            "offer_id",
            "citizen_cpr_index",
            unique=True,
            postgresql_where=text(WAITING_LIST_ACTIVE),
            sqlite_where=text(WAITING_LIST_ACTIVE),
        ),
        Index("ix_waiting_list_meeting", "group_meeting_id", "joined_at"),
        Index(
            "ix_waiting_list_offered_until",
            "offer_expires_at",
            postgresql_where=text("status = 'offered'"),
            sqlite_where=text("status = 'offered'"),
        ),
    )


class AvailabilitySnapshot(Base):
    """When the bookable times of an offer were last computed, and for which window."""

    __tablename__ = "availability_snapshot"

    offer_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(AwareDateTime())
    window_start: Mapped[datetime] = mapped_column(AwareDateTime())
    window_end: Mapped[datetime] = mapped_column(AwareDateTime())


class BookableTime(Base):
    """One start at which one advisor was free for a meeting of the offer (per snapshot).

    ``valid_until``: after this instant the advisor's calendar data behind the start is too
    old and the start is not offered (None: the event named no bound)."""

    __tablename__ = "bookable_time"

    offer_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    advisor_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    start_at: Mapped[datetime] = mapped_column(AwareDateTime(), primary_key=True)
    valid_until: Mapped[datetime | None] = mapped_column(AwareDateTime())

    __table_args__: Any = (
        # an offer's starts in time order across its advisors: the week page's first free time
        Index("ix_bookable_time_offer_id_start_at", "offer_id", "start_at"),
    )


class Booking(Base):
    """A citizen's meeting with an advisor. ``cancelled_at`` None means active; a cancelled
    or moved booking frees its time (the exclusion constraint and the one-booking index
    cover active bookings only).

    The advisor is occupied during ``[start_at, occupied_until)``: the meeting plus its
    reporting time. The cancellation and rebooking terms are copied from the offer when
    booking (V-6: existing bookings keep their terms). The citizen is ``citizen_cpr_index``
    (the CPR number's keyed index, which the one-booking index covers) and
    ``citizen_cpr_sealed`` (the number encrypted, for staff's participant lists); both are
    confidential: never in a URL, a log, an event or a response.
    """

    __tablename__ = "booking"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    offer_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    advisor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    """The advisor of an individual meeting; None for a seat at a group meeting."""
    group_meeting_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    """The group meeting (``GroupMeetingView``) whose seat this is; None for an individual meeting."""
    citizen_cpr_index: Mapped[str] = mapped_column(String(64))
    citizen_cpr_sealed: Mapped[str] = mapped_column(Text)
    start_at: Mapped[datetime] = mapped_column(AwareDateTime())
    end_at: Mapped[datetime] = mapped_column(AwareDateTime())
    occupied_until: Mapped[datetime] = mapped_column(AwareDateTime())
    accept_cancellation: Mapped[bool] = mapped_column(Boolean)
    rebooking_days_before: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    """When the citizen cancelled (B-3) or moved (B-4) the booking; None while it is active."""
    rebooked_to_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    """The booking this one was moved to (B-4); set together with ``cancelled_at``."""
    held_until: Mapped[datetime | None] = mapped_column(AwareDateTime())
    """Set while the row is a hold: the instant it stops blocking the time; None for a booking."""
    rebooking_of_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    """For a hold taken to move a booking (B-4): the booking it would replace once confirmed."""
    email: Mapped[str | None] = mapped_column(String(254))
    """Where the citizen asked for the confirmation and the reminder (None: no e-mail)."""
    added_by: Mapped[str | None] = mapped_column(String(200))
    """The staff member (actor id) who added the citizen to a group meeting by hand; None when
    the citizen booked, or staff booked for them under every rule."""
    override_reason: Mapped[str | None] = mapped_column(Text)
    """Why staff added the citizen although the offer's rules did not admit them, or above
    the meeting's seats (V-7); None when no rule was set aside."""

    __table_args__: Any = (
        CheckConstraint("start_at < end_at AND end_at <= occupied_until", name="period"),
        CheckConstraint("rebooked_to_id IS NULL OR cancelled_at IS NOT NULL", name="rebooked_is_cancelled"),
        CheckConstraint("(advisor_id IS NULL) <> (group_meeting_id IS NULL)", name="advisor_or_group_meeting"),
        Index("ix_booking_advisor_id_start_at", "advisor_id", "start_at"),
        CheckConstraint("held_until IS NOT NULL OR rebooking_of_id IS NULL", name="rebooking_of_is_hold"),
        Index(
            CITIZEN_OFFER_INDEX,
            "offer_id",
            "citizen_cpr_index",
            unique=True,
            postgresql_where=text(IS_BOOKING),
            sqlite_where=text(IS_BOOKING),
        ),
        Index(
            CITIZEN_HOLD_INDEX,
            "offer_id",
            "citizen_cpr_index",
            unique=True,
            postgresql_where=text(IS_HOLD),
            sqlite_where=text(IS_HOLD),
        ),
        Index("ix_booking_held_until", "held_until", postgresql_where=text(IS_HOLD), sqlite_where=text(IS_HOLD)),
        ExcludeConstraint(
            ("advisor_id", "="),
            (func.tstzrange(text("start_at"), text("occupied_until"), text("'[)'")), "&&"),
            name=ADVISOR_OVERLAP_CONSTRAINT,
            using="gist",
            where=text("cancelled_at IS NULL"),
        ),
    )

    @property
    def is_hold(self) -> bool:
        return self.held_until is not None

    @property
    def status(self) -> str:
        """``active``, ``cancelled`` (B-3) or ``rebooked`` (moved to ``rebooked_to_id``, B-4);
        ``held`` for a hold."""
        if self.held_until is not None:
            return "held"
        if self.cancelled_at is None:
            return "active"
        return "rebooked" if self.rebooked_to_id is not None else "cancelled"


class CatalogueVersion(Base):
    """A counter the consumer bumps whenever an offer changes, so every API process knows
    when to rebuild its compiled eligibility index (one row, ``name`` = "offers")."""

    __tablename__ = "catalogue_version"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))


class FreeTimeChange(Base):
    """One change to the free times of an offer or an advisor: a row per change, so the
    transactions that change them never wait for one another (a counter row would make every
    booking of one advisor queue behind the one before until it commits). A subject's
    version is the sum of its rows' ``amount``: every committed change raises it, and folding
    many rows into one (``free_time_versions.fold``) keeps it. See ``prepared_times``."""

    __tablename__ = "free_time_change"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    amount: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))

    __table_args__: Any = (Index("ix_free_time_change_subject_id_amount", "subject_id", "amount"),)


class CitizenProfileRow(Base):
    """A citizen as the participant rules see them (the profile import's fields), found by
    the CPR number's keyed index (``cpr_index``) and keeping the number sealed (``cpr_sealed``).

    Confidential: the number and ``name`` never go into a URL, a log, an event or a response,
    and every lookup is written to ``cpr_access_log``.
    """

    __tablename__ = "citizen_profile"

    cpr_index: Mapped[str] = mapped_column(String(64), primary_key=True)
    cpr_sealed: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(String(200))
    contact_group: Mapped[str | None] = mapped_column(String(200))
    assessment_group: Mapped[str | None] = mapped_column(String(200))
    sick_pay_category: Mapped[str | None] = mapped_column(String(20))
    person_group_markers: Mapped[list[str]] = mapped_column(JSON)
    job_centre: Mapped[str | None] = mapped_column(String(5))
    other_actor: Mapped[bool | None] = mapped_column(Boolean)
    other_actor_referrals: Mapped[list[str]] = mapped_column(JSON)
    registration_date: Mapped[date | None] = mapped_column(Date)
    in_activation: Mapped[bool | None] = mapped_column(Boolean)
    unemployment_fund: Mapped[str | None] = mapped_column(String(200))
    booking_deadline: Mapped[date | None] = mapped_column(Date)
    last_meeting_date: Mapped[date | None] = mapped_column(Date)
    email: Mapped[str | None] = mapped_column(String(254))
    """The citizen's e-mail address from the import, offered as the default on the summary."""
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


class CitizenMail(Base):
    """An e-mail to a citizen about one booking: written in the transaction that changes the
    booking (or by the reminder run) and sent after the commit by the mail worker.

    ``kind`` is ``confirmation``, ``rebooked``, ``cancelled`` or ``reminder``; the unique
    (booking, kind) means one of each per booking, so a repeated event or reminder run never
    writes a second message. ``sending_since`` marks a message a worker has claimed; the
    worker sets ``sent_at`` after the SMTP server accepted it, or ``failed_at`` after the last
    attempt. The message is stored composed (subject, text, the .ics file): it says what
    was true when it was written. It never holds a CPR number.
    """

    __tablename__ = "citizen_mail"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    booking_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    calendar: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    sending_since: Mapped[datetime | None] = mapped_column(AwareDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    failed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    last_error: Mapped[str | None] = mapped_column(String(300))

    __table_args__: Any = (
        UniqueConstraint("booking_id", "kind", name="uq_citizen_mail_booking_kind"),
        Index(
            "ix_citizen_mail_due",
            "next_attempt_at",
            postgresql_where=text("sent_at IS NULL AND failed_at IS NULL"),
            sqlite_where=text("sent_at IS NULL AND failed_at IS NULL"),
        ),
    )


class CprAccessLog(CprAccessLogMixin, Base):
    """Who looked up whose CPR number, when and why (listing offers, times, booking)."""


class OutboxMessage(OutboxMixin, Base):
    pass


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


class WebSession(WebSessionMixin, Base):
    """A browser's server-side session (see ``shared.auth.session_tables``)."""


class PendingLogin(PendingLoginMixin, Base):
    """A login waiting for its callback."""


class RateLimit(RateLimitMixin, Base):
    """Requests per client and window (login callbacks, booking writes)."""
