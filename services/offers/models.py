"""Tables of the offers service: admin data (A-1, A-3) and individual offers (O-1 to O-10).

Every datetime is an ``AwareDateTime``; primary keys are UUIDs. The simple invariants
(positive duration, reporting time, description length, period, room capacity) are CHECK
constraints, so no code path can store an offer that breaks them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    select,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column, relationship

from shared.audit import CprAccessLogMixin
from shared.auth.session_tables import PendingLoginMixin, RateLimitMixin, WebSessionMixin
from shared.db import AwareDateTime, make_metadata
from shared.outbox import OutboxMixin, ProcessedEventMixin
from shared.timeutil import DEFAULT_TIMEZONE, utcnow
from shared.working_time import OPTIONAL_DAYS

CONVERSATION_CODES = (1, 999)
"""The smallest and largest conversation type code."""

MEETING_FORMS = ("individual", "group")
CHANNELS = ("video", "in_person", "phone")
CALLERS = ("advisor", "citizen")
"""Who calls at a phone meeting (O-4): the advisor calls the citizen, or the citizen calls the number."""


class Base(DeclarativeBase):
    metadata = make_metadata()


def _id() -> Mapped[uuid.UUID]:
    return mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


OPTIONAL_DAYS_DEFAULT_SQL = '["christmas_eve", "constitution_day", "new_years_eve"]'


class JobCentre(Base):
    """A job centre (5-digit code), possibly a sub-job-centre of ``parent``."""

    __tablename__ = "job_centre"
    __table_args__ = (CheckConstraint("length(code) = 5", name="code_five_digits"),)

    id: Mapped[uuid.UUID] = _id()
    code: Mapped[str] = mapped_column(String(5), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIMEZONE)
    region: Mapped[str | None] = mapped_column(String(200))  # a value of the "regions" reference list
    closed_optional_days: Mapped[list[str]] = mapped_column(
        JSON, default=lambda: sorted(OPTIONAL_DAYS), server_default=OPTIONAL_DAYS_DEFAULT_SQL
    )  # which of Grundlovsdag, 24 and 31 December the centre is closed on
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("job_centre.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    closing_days: Mapped[list[ClosingDay]] = relationship(
        back_populates="job_centre", order_by="ClosingDay.day", lazy="selectin", cascade="all, delete-orphan"
    )


class ClosingDay(Base):
    """A day the job centre itself is closed (A-3), on top of the public holidays."""

    __tablename__ = "closing_day"
    __table_args__ = (UniqueConstraint("job_centre_id", "day"),)

    id: Mapped[uuid.UUID] = _id()
    job_centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("job_centre.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))

    job_centre: Mapped[JobCentre] = relationship(back_populates="closing_days")


class ConversationType(Base):
    """A conversation type (A-2) by its code in the public code lists, e.g. 7 Jobsamtale.

    Administrators of every job centre rename and add types; a code is never deleted, since
    offers, variants and templates keep it. A retired type is not chosen for new offers or
    variants; the offers that have it keep it. The offer list shows the names, so the table
    raises the list's version (``OfferListVersion``) like the offer's own.
    """

    __tablename__ = "conversation_type"
    __table_args__ = (
        CheckConstraint(f"code BETWEEN {CONVERSATION_CODES[0]} AND {CONVERSATION_CODES[1]}", name="code_in_range"),
        CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
        UniqueConstraint("name"),
    )

    code: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(100))
    retired: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    changed_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    changed_by: Mapped[str | None] = mapped_column(String(200))


class ConversationVariant(Base):
    """A variant of a conversation type that a job centre offers (A-2), e.g. "Opstart" of
    7 Jobsamtale; an offer names one of its centre's variants, or none."""

    __tablename__ = "conversation_variant"
    __table_args__ = (
        UniqueConstraint("job_centre_id", "conversation_type", "name"),
        CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
    )

    id: Mapped[uuid.UUID] = _id()
    job_centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("job_centre.id", ondelete="CASCADE"))
    conversation_type: Mapped[int] = mapped_column(ForeignKey("conversation_type.code"))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    conversation_type_name: Mapped[str] = column_property(
        select(ConversationType.name)
        .where(ConversationType.code == conversation_type)
        .correlate_except(ConversationType)
        .scalar_subquery(),
        expire_on_flush=False,
    )


class OfferTemplate(Base):
    """A template of offers (A-4, O-2): any of an offer's fields but its dates, in the form
    of the offers API, to pre-fill the wizard; every field stays editable there."""

    __tablename__ = "offer_template"
    __table_args__ = (UniqueConstraint("job_centre_id", "name"),)

    id: Mapped[uuid.UUID] = _id()
    job_centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("job_centre.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_by_name: Mapped[str | None] = mapped_column(String(200))


advisor_team = Table(
    "advisor_team",
    Base.metadata,
    Column("advisor_id", Uuid, ForeignKey("advisor.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", Uuid, ForeignKey("team.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Team(Base):
    __tablename__ = "team"

    id: Mapped[uuid.UUID] = _id()
    job_centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("job_centre.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


class Room(Base):
    """A meeting room (mødelokale) with an address and a capacity."""

    __tablename__ = "room"
    __table_args__ = (CheckConstraint("capacity > 0", name="capacity_positive"),)

    id: Mapped[uuid.UUID] = _id()
    job_centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("job_centre.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    capacity: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


class Advisor(Base):
    """An advisor (vejleder) whose free time is read from a CalDAV calendar.

    The calendar password is stored only Fernet-encrypted (``shared.secrets``).
    """

    __tablename__ = "advisor"

    id: Mapped[uuid.UUID] = _id()
    job_centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("job_centre.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIMEZONE)
    working_hours: Mapped[dict[str, Any]] = mapped_column(JSON)
    working_exceptions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    caldav_url: Mapped[str | None] = mapped_column(String(1000))
    caldav_username: Mapped[str | None] = mapped_column(String(200))
    caldav_password_encrypted: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    # Calendar health as the calendar-sync worker last reported it (calendar.health_changed).
    calendar_last_attempt_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    calendar_last_success_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    calendar_last_error: Mapped[str | None] = mapped_column(Text)
    calendar_stale: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    calendar_health_changed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    job_centre: Mapped[JobCentre] = relationship()
    teams: Mapped[list[Team]] = relationship(secondary=advisor_team, lazy="selectin", order_by=Team.name)

    @property
    def team_ids(self) -> list[uuid.UUID]:
        return [t.id for t in self.teams]

    @property
    def has_caldav_password(self) -> bool:
        return self.caldav_password_encrypted is not None


class OfferAdvisor(Base):
    """An advisor on an offer; ``position`` keeps the order staff chose (the first one's
    phone is the offer's default phone, O-4)."""

    __tablename__ = "offer_advisor"

    offer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"), primary_key=True)
    advisor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("advisor.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class GroupMeeting(Base):
    """A concrete meeting of a group offer (fællesmøde, O-12): its start, and its seats: the
    room's capacity (``seats`` None) or an explicit number, plus ``extra_seats`` kept for
    citizens who rebook (O-13). Its end is the start plus the offer's duration; its advisors
    are the offer's. A cancelled meeting keeps its row (``cancelled_at``), so its citizens,
    calendar events and log still have something to name."""

    __tablename__ = "group_meeting"
    __table_args__ = (
        CheckConstraint("seats IS NULL OR seats > 0", name="seats_positive"),
        CheckConstraint("extra_seats >= 0", name="extra_seats_not_negative"),
        Index("ix_group_meeting_offer_id_starts_at", "offer_id", "starts_at"),
    )

    id: Mapped[uuid.UUID] = _id()
    offer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(AwareDateTime())
    seats: Mapped[int | None] = mapped_column(Integer)
    extra_seats: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    taken: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    """Seats taken, as the booking service last announced (``group_meeting.seats_changed``)."""
    taken_changed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    """When the booking service counted ``taken``: an older announcement changes nothing."""


class OfferTargetGroup(Base):
    """A contact group an offer is for: one its rules name with "lig med" (the offer list's
    "Målgruppe" filter, V-2). Kept by the operations whenever the rules change."""

    __tablename__ = "offer_target_group"

    offer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"), primary_key=True)
    contact_group: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)


class OfferRevision(Base):
    """One change to an offer (V-7 and the audit row of DOMAIN.md): who, when, which field,
    the old and the new value (JSON text; both null for the creation, ``field`` "created").
    Written by the operations only; the database refuses to change or delete a row."""

    __tablename__ = "offer_revision"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    offer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offer.id"), index=True)
    changed_at: Mapped[datetime] = mapped_column(AwareDateTime())
    actor: Mapped[str | None] = mapped_column(String(200))
    actor_name: Mapped[str | None] = mapped_column(String(200))
    field: Mapped[str] = mapped_column(String(50))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)


class OfferDraft(Base):
    """A half-finished offer of the wizard, or a half-finished edit of one (``offer_id``), kept
    for the person who started it (``owner``, an actor id): the fields as typed (``data``) and
    the furthest step reached. Nothing checks or publishes it until it is saved."""

    __tablename__ = "offer_draft"

    id: Mapped[uuid.UUID] = _id()
    owner: Mapped[str] = mapped_column(String(200), index=True)
    step: Mapped[int] = mapped_column(Integer, default=1)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    offer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"))
    """The offer this draft changes (V-6); None for a new offer."""
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


class Offer(Base):
    """An online offer (online tilbud) citizens book themselves."""

    __tablename__ = "offer"
    __table_args__ = (
        CheckConstraint("length(description) <= 500", name="description_max_500"),
        CheckConstraint("meeting_form IN ('individual', 'group')", name="meeting_form_known"),
        CheckConstraint("channel IN ('video', 'in_person', 'phone')", name="channel_known"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("reporting_minutes >= 0", name="reporting_not_negative"),
        CheckConstraint("end_date IS NULL OR end_date >= first_meeting_date", name="end_after_first_meeting"),
        CheckConstraint("rolling_weeks IS NULL OR rolling_weeks >= 1", name="rolling_weeks_positive"),
        CheckConstraint(
            "rebooking_days_before IS NULL OR rebooking_days_before >= 0", name="rebooking_days_not_negative"
        ),
        CheckConstraint(
            "(channel = 'phone' AND caller IN ('advisor', 'citizen')) OR (channel <> 'phone' AND caller IS NULL)",
            name="caller_of_phone_meetings",
        ),
    )

    id: Mapped[uuid.UUID] = _id()
    job_centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("job_centre.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    conversation_type: Mapped[int] = mapped_column(Integer)
    conversation_type_name: Mapped[str | None] = column_property(
        select(ConversationType.name)
        .where(ConversationType.code == conversation_type)
        .correlate_except(ConversationType)
        .scalar_subquery(),
        expire_on_flush=False,
    )
    """The name of its conversation type, read with the offer (``offers.operations`` reads it
    again after a write, while the session is open). No foreign key to ``conversation_type``:
    SQLite adds one only by copying the table, which drops its triggers; the operations check
    the code, and no code is deleted."""
    variant: Mapped[str | None] = mapped_column(String(100))
    meeting_form: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    place: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(30))
    caller: Mapped[str | None] = mapped_column(String(10))
    """Phone meetings (O-4): "advisor" calls the citizen, or the "citizen" calls ``phone``."""
    duration_minutes: Mapped[int] = mapped_column(Integer)
    reporting_minutes: Mapped[int] = mapped_column(Integer, default=0)
    start_minutes: Mapped[list[int]] = mapped_column(JSON)
    first_meeting_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    rolling_weeks: Mapped[int | None] = mapped_column(Integer)
    opens_on: Mapped[date] = mapped_column(Date)
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("team.id"), index=True)
    room_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("room.id"), index=True)
    citizen_may_choose_advisor: Mapped[bool] = mapped_column(Boolean, default=False)
    accept_cancellation: Mapped[bool] = mapped_column(Boolean, default=True)
    rebooking_days_before: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    rules: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))  # canonical; None: from before rules
    marker_routes: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(200))

    job_centre: Mapped[JobCentre] = relationship()
    advisor_links: Mapped[list[OfferAdvisor]] = relationship(
        order_by=OfferAdvisor.position, lazy="selectin", cascade="all, delete-orphan"
    )
    target_links: Mapped[list[OfferTargetGroup]] = relationship(cascade="all, delete-orphan")
    meetings: Mapped[list[GroupMeeting]] = relationship(
        order_by=GroupMeeting.starts_at, lazy="selectin", cascade="all, delete-orphan"
    )
    """A group offer's concrete meetings (O-12), cancelled ones too; none for an individual offer."""

    @property
    def advisor_ids(self) -> list[uuid.UUID]:
        return [link.advisor_id for link in self.advisor_links]


REFERENCE_KINDS = (
    "contact_groups",
    "assessment_groups",
    "sick_pay_categories",
    "other_actors",
    "unemployment_funds",
    "regions",
    "person_group_markers",
)
"""The reference lists an administrator edits (A-5); all but the markers are lists of values."""
MARKER_LEVELS = ("state", "region", "job_centre")


class ReferenceValue(Base):
    """One value of a reference list (``kind``), in the order staff see the list."""

    __tablename__ = "reference_value"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class ReferenceAlias(Base):
    """An old or misspelt name that still answers for a value of the list (a renamed value)."""

    __tablename__ = "reference_alias"
    __table_args__ = (
        ForeignKeyConstraint(["kind", "target"], ["reference_value.kind", "reference_value.value"], ondelete="CASCADE"),
    )

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    alias: Mapped[str] = mapped_column(String(200), primary_key=True)
    target: Mapped[str] = mapped_column(String(200))


class PersonGroupMarkerRow(Base):
    """A person-group marker (R-4): state-wide, of a region (``owner`` = its name) or of a job
    centre (``owner`` = its 5-digit code)."""

    __tablename__ = "person_group_marker"
    __table_args__ = (
        CheckConstraint("level IN ('state', 'region', 'job_centre')", name="level_known"),
        CheckConstraint("(level = 'state') = (owner IS NULL)", name="owner_matches_level"),
    )

    code: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))
    owner: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)


class CalendarConflict(Base):
    """An event in an advisor's own calendar over a booked meeting (booking.conflict_detected).

    The booking is never moved: staff see the conflict and act. ``resolved_at`` is set when
    the worker reports that the overlap went away; ``changed_at`` orders the reports.
    """

    __tablename__ = "calendar_conflict"
    __table_args__ = (CheckConstraint("end_at > start_at", name="end_after_start"),)

    booking_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    advisor_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    start_at: Mapped[datetime] = mapped_column(AwareDateTime())
    end_at: Mapped[datetime] = mapped_column(AwareDateTime())
    detected_at: Mapped[datetime] = mapped_column(AwareDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    changed_at: Mapped[datetime] = mapped_column(AwareDateTime())
    handled_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    """When staff marked the conflict as handled ("Markér som håndteret"); None while open to them."""
    handled_by: Mapped[str | None] = mapped_column(String(200))
    handled_by_name: Mapped[str | None] = mapped_column(String(200))

    @property
    def status(self) -> str:
        return "open" if self.resolved_at is None else "resolved"


class CprAccessLog(CprAccessLogMixin, Base):
    """Who looked at whose CPR number, when and why (staff explanations)."""


class OfferListVersion(Base):
    """The one row whose ``version`` the database's own triggers raise with every committed
    change to an offer, its advisors or a job centre (migration ``offers_0009``): the
    version under which ``offer_list`` keeps the lists it served. A table the list comes to
    read from needs the same trigger, in a migration of its own."""

    __tablename__ = "offer_list_version"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))


class OutboxMessage(OutboxMixin, Base):
    """Events waiting to be published (``shared.outbox``)."""


class ProcessedEvent(ProcessedEventMixin, Base):
    """Ids of events this service applied (calendar health and booking conflicts)."""


class AdvisorFreeTime(Base):
    """When an advisor is free, as the calendar-sync worker last announced it
    (``advisor.free_time_changed``): staff place group meetings in it (O-12)."""

    __tablename__ = "advisor_free_time"

    advisor_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(AwareDateTime())
    window_start: Mapped[datetime] = mapped_column(AwareDateTime())
    window_end: Mapped[datetime] = mapped_column(AwareDateTime())
    free: Mapped[list[list[str]]] = mapped_column(JSON)
    """``[[start, end], ...]`` ISO 8601 with offsets, sorted and disjoint."""
    stale: Mapped[bool] = mapped_column(Boolean)


class WebSession(WebSessionMixin, Base):
    """A browser's server-side session (see ``shared.auth.session_tables``)."""


class PendingLogin(PendingLoginMixin, Base):
    """A login waiting for its callback."""


class RateLimit(RateLimitMixin, Base):
    """Requests per client and window (login callbacks, booking writes)."""
