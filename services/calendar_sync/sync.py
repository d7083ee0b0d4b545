"""Reading one advisor's calendar into the cache of busy intervals.

The first read, and every read after the sync window ``[today, today + horizon + 8 days)``
(local days of the advisor) moved, is a full load: one calendar-query REPORT lists every
object of the window with its etag. After that only the changes are read (see
``reading``: RFC 6578 sync token, else CTag + ETags, else the plain query again). Only
objects whose etag (or window) changed are expanded again; unchanged ones keep their
cached busy time and ``synced_at``; objects that disappeared are deleted. Every change
raises the advisor's ``busy_version`` and, once committed, is spliced into this process's
copy of the busy time (``busy_cache``). After storing,
conflicts with booked meetings are brought up to date and the calendar's health is
published when it changed. No network call happens inside a database transaction.

A sync never raises for the calendar's sake: an unreachable server, a refused login or a
broken object is recorded in ``last_error`` (in Danish, for staff) and the cached busy
time of the last good read stays in use. A calendar URL the network policy refuses
(``shared.network_policy``: not http(s), credentials in it, an internal address) is not
fetched at all; the refusal is the error staff see.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.calendar_sync.busy_cache import BUSY_CACHE, BusyChange, database_of
from services.calendar_sync.caldav_client import CalendarAccount, RemoteObject, request_limits
from services.calendar_sync.compute import offers_of_advisor
from services.calendar_sync.conflicts import detect_conflicts
from services.calendar_sync.expansion import CalendarDataError, busy_intervals, object_uid
from services.calendar_sync.health import note_health
from services.calendar_sync.models import AdvisorCalendar, CalendarObject, intervals_to_json
from services.calendar_sync.reading import QUERY, CalendarRead, SyncState, read_calendar
from shared.config import Settings
from shared.errors import PlannerError, UpstreamUnavailable
from shared.intervals import Interval
from shared.metrics import CALDAV_ERRORS
from shared.network_policy import CalendarHostUnknown
from shared.secrets import decrypt_calendar_password
from shared.service import ServiceContext
from shared.timeutil import local_midnight, today_in, zone

log = logging.getLogger(__name__)

EXTRA_SYNC_DAYS = 8
"""Days read beyond the availability horizon (the widened booking window, other zones)."""


@dataclass(frozen=True)
class SyncOutcome:
    """What a sync did; ``affected_offer_ids`` need their availability computed again."""

    advisor_id: str
    ok: bool
    changed: bool = False
    offer_ids: list[str] = field(default_factory=list)
    error: str | None = None
    transient: bool = False
    """The server did not answer (timeout, 5xx, rate limit): worth trying again soon."""

    stale_changed: bool = False
    """The advisor's times were withdrawn (calendar data too old) or may be offered again."""

    @property
    def affected_offer_ids(self) -> list[str]:
        return self.offer_ids if self.changed or self.stale_changed else []


@dataclass(frozen=True)
class _Expanded:
    remote: RemoteObject
    busy: list[Interval]
    error: str | None


def sync_window(now: datetime, timezone: str, horizon_days: int) -> Interval:
    """The local days whose busy time is kept: today up to horizon + 8 days."""
    tz = zone(timezone)
    today = today_in(tz, now)
    return Interval(
        local_midnight(today, tz), local_midnight(today + timedelta(days=horizon_days + EXTRA_SYNC_DAYS), tz)
    )


def advisor_account(context: ServiceContext, advisor: AdvisorCalendar) -> CalendarAccount | None:
    """The advisor's calendar login (None: no calendar), once its URL passed the calendar URL
    policy again, before every request: a URL stored before the offers service checked it,
    sent in a forged event, or whose name now resolves to an internal address is never
    fetched, and the password is not decrypted for it. The password is used only when it was
    encrypted for this advisor and exactly this URL (``decrypt_calendar_password``): one
    replayed from another advisor or URL, or stored before the binding, raises
    ``CalendarPasswordRefused`` (recorded for staff) and is never sent. Raises
    ``CalendarUrlRefused``, or ``UpstreamUnavailable`` when the host name cannot be looked up
    now (tried again)."""
    if not advisor.caldav_url:
        return None
    try:
        context.check_calendar_url(advisor.caldav_url)
    except CalendarHostUnknown as exc:
        raise UpstreamUnavailable(exc.detail) from exc
    password = None
    if advisor.caldav_password_encrypted:
        password = decrypt_calendar_password(
            advisor.caldav_password_encrypted,
            context.settings.secret_keys,
            advisor_id=advisor.advisor_id,
            url=advisor.caldav_url,
        )
    return CalendarAccount(url=advisor.caldav_url, username=advisor.caldav_username, password=password)


def _expand(remote: RemoteObject, window: Interval, timezone: str) -> _Expanded:
    """The busy time of one object, or the kind of problem that makes it unreadable.

    The error (stored for staff) and the log name the href and the kind of problem, never
    the object's content (``expansion.CalendarDataError``); the log adds the class of the
    library's exception, if any, for whoever looks into it. The task's soft time limit,
    raised wherever the expansion happens to be, is the worker's, not the object's: it goes
    on to the task.
    """
    try:
        busy = busy_intervals(remote.ics_text, window, zone(timezone))
    except CalendarDataError as exc:
        cause = exc.__cause__
        if isinstance(cause, SoftTimeLimitExceeded):
            raise cause from None
        log.warning(
            "calendar object %s cannot be read: %s%s",
            remote.href,
            exc,
            f" ({type(cause).__name__})" if cause is not None else "",
        )
        return _Expanded(remote, [], str(exc))
    return _Expanded(remote, busy, None)


def _record_failure(
    context: ServiceContext, advisor_id: str, message: str, now: datetime, *, transient: bool = False
) -> SyncOutcome:
    stale_changed = False
    with context.db.transaction() as session:
        advisor = session.get(AdvisorCalendar, advisor_id)
        if advisor is not None:
            advisor.last_error = message
            stale_changed = _note_health(session, advisor, context.settings, now)
        offer_ids = offers_of_advisor(session, advisor_id)
    return SyncOutcome(
        advisor_id, ok=False, offer_ids=offer_ids, error=message, transient=transient, stale_changed=stale_changed
    )


def _note_health(session: Session, advisor: AdvisorCalendar, settings: Settings, now: datetime) -> bool:
    """Publish the advisor's health if it changed; True when their stale flag flipped: their
    offers must be computed again (withdrawing their times, or offering them again)."""
    was_stale = bool(advisor.health_stale)
    note_health(session, advisor, settings, now)
    return bool(advisor.health_stale) != was_stale


def _cached_etags(context: ServiceContext, advisor_id: str, window: Interval) -> tuple[dict[str, str | None], bool]:
    """ETags of the cached objects expanded over ``window``, and whether every cached object
    was (only columns, no busy time: the cost of an incremental sync stays small)."""
    same_window = (CalendarObject.window_start == window.start) & (CalendarObject.window_end == window.end)
    with context.db.transaction() as session:
        rows = session.execute(
            select(CalendarObject.href, CalendarObject.etag, same_window).where(CalendarObject.advisor_id == advisor_id)
        ).all()
    return {href: etag for href, etag, same in rows if same}, all(same for _h, _e, same in rows)


def _read_calendar(
    context: ServiceContext,
    advisor: AdvisorCalendar,
    window: Interval,
    cached: dict[str, str | None],
    all_in_window: bool,
) -> CalendarRead:
    account = advisor_account(context, advisor)
    if account is None:  # no calendar connected: working hours and bookings only
        return CalendarRead(True, [], QUERY, None, None)
    state = SyncState(
        method=advisor.sync_method,
        sync_token=advisor.sync_token,
        ctag=advisor.ctag,
        cached_etags=cached,
        window_matches=advisor.synced_window == window and all_in_window,
    )
    return read_calendar(account, state, window, request_limits(context.settings))


def sync_advisor(context: ServiceContext, advisor_id: str, now: datetime) -> SyncOutcome:
    """Read the advisor's calendar and bring the cache up to date. Never raises for
    calendar trouble; returns what changed and which offers it affects."""
    with context.db.transaction() as session:
        advisor = session.get(AdvisorCalendar, advisor_id)
        if advisor is None:
            return SyncOutcome(advisor_id, ok=False, error="Rådgiveren er ukendt for kalendersynkroniseringen.")
        advisor.last_attempt_at = now
    window = sync_window(now, advisor.timezone, context.settings.availability_horizon_days)
    cached, all_in_window = _cached_etags(context, advisor_id, window)
    try:
        read = _read_calendar(context, advisor, window, cached, all_in_window)
    except SoftTimeLimitExceeded:  # the worker's limit, not the calendar's: the task records it
        raise
    except PlannerError as exc:
        log.warning("reading the calendar of advisor %s failed: %s", advisor_id, exc.detail)
        CALDAV_ERRORS.labels(kind=getattr(exc, "code", None) or type(exc).__name__).inc()
        return _record_failure(context, advisor_id, exc.detail, now, transient=isinstance(exc, UpstreamUnavailable))
    except Exception as exc:
        log.exception("reading the calendar of advisor %s failed unexpectedly", advisor_id)
        CALDAV_ERRORS.labels(kind="unexpected").inc()
        return _record_failure(context, advisor_id, f"Kalenderen kunne ikke læses: {exc}", now)

    by_href = {obj.href: obj for obj in read.objects}
    expanded = [
        _expand(obj, window, advisor.timezone)
        for href, obj in by_href.items()
        if not (href in cached and obj.etag is not None and cached[href] == obj.etag)
    ]
    return _store(context, advisor, now, window, read, expanded)


def _store(
    context: ServiceContext,
    read: AdvisorCalendar,
    now: datetime,
    window: Interval,
    calendar_read: CalendarRead,
    expanded: list[_Expanded],
) -> SyncOutcome:
    advisor_id = read.advisor_id
    with context.db.transaction() as session:
        advisor = session.get(AdvisorCalendar, advisor_id, with_for_update=True)
        if advisor is None:
            return SyncOutcome(advisor_id, ok=False, error="Rådgiveren er slettet under synkroniseringen.")
        offer_ids = offers_of_advisor(session, advisor_id)
        if advisor.last_success_at is not None and advisor.last_success_at > now:
            return SyncOutcome(advisor_id, ok=True, offer_ids=offer_ids)  # a newer read was stored meanwhile
        if (advisor.caldav_url, advisor.caldav_username) != (read.caldav_url, read.caldav_username):
            return SyncOutcome(advisor_id, ok=True, offer_ids=offer_ids)  # another calendar now; its sync follows
        listed = {obj.href for obj in calendar_read.objects}
        query = select(CalendarObject).where(CalendarObject.advisor_id == advisor_id)
        if not calendar_read.full:  # only the rows that change
            touched = {item.remote.href for item in expanded} | calendar_read.removed
            query = query.where(CalendarObject.href.in_(sorted(touched)))
        rows = {row.href: row for row in session.scalars(query)} if calendar_read.full or touched else {}
        deleted = [
            row
            for href, row in rows.items()
            if (href not in listed if calendar_read.full else href in calendar_read.removed)
        ]
        removed: list[Interval] = []
        added: list[Interval] = []
        for row in deleted:
            removed.extend(row.busy_intervals())
            session.delete(row)
        for item in expanded:
            row = rows.get(item.remote.href)
            if row is None:
                row = CalendarObject(advisor_id=advisor_id, href=item.remote.href)
                session.add(row)
            else:
                removed.extend(row.busy_intervals())
            row.etag, row.uid = item.remote.etag, object_uid(item.remote.ics_text)
            row.busy, row.error = intervals_to_json(item.busy), item.error
            row.window_start, row.window_end, row.synced_at = window.start, window.end, now
            added.extend(item.busy)
        busy_change = None
        if deleted or expanded:
            busy_change = BusyChange(
                database_of(session),
                advisor_id,
                advisor.busy_version,
                advisor.busy_version + 1,
                tuple(removed),
                tuple(added),
            )
            advisor.busy_version = busy_change.after
        session.flush()
        failures = [
            f"{row.href}: {row.error}"
            for row in session.scalars(
                select(CalendarObject).where(CalendarObject.advisor_id == advisor_id, CalendarObject.error.is_not(None))
            )
        ]
        changed = bool(deleted or expanded) or advisor.last_success_at is None or advisor.synced_window != window
        advisor.last_success_at = now
        advisor.synced_from, advisor.synced_until = window.start, window.end
        advisor.sync_method, advisor.sync_token, advisor.ctag = (
            calendar_read.method,
            calendar_read.sync_token,
            calendar_read.ctag,
        )
        advisor.last_error = (
            f"{len(failures)} kalenderobjekt(er) kunne ikke læses og tæller ikke som optaget tid: "
            + "; ".join(failures)
            if failures
            else None
        )
        session.flush()
        detect_conflicts(session, advisor, now)
        stale_changed = _note_health(session, advisor, context.settings, now)
    if busy_change is not None:  # committed: this process's copy of the busy time follows
        BUSY_CACHE.apply(busy_change)
    return SyncOutcome(
        advisor_id,
        ok=True,
        changed=changed,
        offer_ids=offer_ids,
        error=advisor.last_error,
        stale_changed=stale_changed,
    )
