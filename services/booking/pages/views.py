"""View data of the citizen's pages, built by small functions from the booking service's own
queries (the same ones the JSON API calls: ``prepared_times``, ``eligibility``).

The texts are Danish unless a page asks for its own language (``locale``, see
``shared.i18n``): the e-mails reuse ``channel_text``, ``terms`` and ``when_text`` in Danish,
also when a page in English is what sent them."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.booking import eligibility, queries, week_times
from services.booking.models import Booking, CitizenProfileRow, OfferView
from shared import formatting as fmt
from shared.config import Settings
from shared.cpr import Cpr
from shared.cpr_vault import vault_for_settings
from shared.eligibility import CitizenProfile
from shared.i18n import DANISH, translations
from shared.timeutil import local_midnight

NO_PREFERENCE = ""
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def channel_text(offer: OfferView, locale: str = DANISH) -> str:
    """How the meeting takes place, in one sentence (the place and number as staff wrote them)."""
    tr = translations(locale)
    if offer.channel == "video":
        return tr.gettext("Videomøde. Du får et link til mødet.")
    if offer.channel == "phone":
        citizen_calls = offer.caller == "citizen" or (offer.caller is None and offer.phone)
        if citizen_calls and offer.phone:
            return tr.gettext("Telefonmøde. Du ringer selv til %(phone)s på tidspunktet.") % {"phone": offer.phone}
        if offer.phone:
            return tr.gettext("Telefonmøde. Din rådgiver ringer til dig fra %(phone)s på tidspunktet.") % {
                "phone": offer.phone
            }
        return tr.gettext("Telefonmøde. Din rådgiver ringer til dig på tidspunktet.")
    if offer.place:
        return tr.gettext("Fremmøde på %(place)s.") % {"place": offer.place}
    return tr.gettext("Fremmøde.")


def offer_card(offer: OfferView, locale: str = DANISH) -> dict[str, Any]:
    """One offer on "Mine mødetilbud" (its name and description are staff's words: never translated)."""
    return {
        "id": offer.id,
        "name": offer.name,
        "description": offer.description,
        "channel": channel_text(offer, locale),
        "duration": fmt.duration(offer.duration_minutes, locale),
        "group": offer.meeting_form == "group",
    }


def terms(offer_or_booking: OfferView | Booking, locale: str = DANISH) -> list[str]:
    """The cancellation and rebooking terms, as sentences."""
    tr = translations(locale)
    days = offer_or_booking.rebooking_days_before
    if offer_or_booking.accept_cancellation:
        cancel = tr.gettext("Du kan aflyse mødet.")
    else:
        cancel = tr.gettext("Mødet kan ikke aflyses.")
    if days is None:
        move = tr.gettext("Mødet kan ikke flyttes til en anden tid.")
    else:
        move = tr.ngettext(
            "Du kan flytte mødet til en anden tid indtil %(num)s dag før mødet.",
            "Du kan flytte mødet til en anden tid indtil %(num)s dage før mødet.",
            days,
        ) % {"num": days}
    return [cancel, move]


def advisor_choices(offer: OfferView, citizen: CitizenProfile, locale: str = DANISH) -> list[dict[str, str]]:
    """The advisors the citizen may choose between (R-5), numbered in the offer's order;
    empty when the offer picks the advisor."""
    if not offer.citizen_may_choose_advisor:
        return []
    allowed = eligibility.allowed_advisor_ids(offer, citizen)
    numbers = {a: n for n, a in enumerate(offer.advisor_uuids(), start=1)}
    name = translations(locale).gettext("Rådgiver %(number)s")
    return [{"id": str(a), "name": name % {"number": numbers[a]}} for a in allowed]


def chosen_advisor(value: str | None, choices: list[dict[str, str]]) -> uuid.UUID | None:
    """The advisor the citizen asked for, if it is one of ``choices`` (else no preference)."""
    return uuid.UUID(value) if value and value in {c["id"] for c in choices} else None


@dataclass
class Week:
    """One ISO week of an offer's free times, ready for the template."""

    monday: date
    iso: str
    title: str
    days: list[dict[str, Any]]
    count: int
    previous: str | None
    next: str | None
    first_free: str | None
    first_input: str | None
    """The id of the week's first radio button (the error summary links to it)."""


def week_view(
    found: week_times.CitizenWeek,
    today: date,
    offer: OfferView,
    *,
    checked: datetime | None = None,
    locale: str = DANISH,
) -> Week:
    """The week ``found``: Monday to Friday always, a weekend day only with times; links to
    the weeks around it the citizen may book in. ``checked``: the start of the time the
    citizen holds, selected already."""
    monday = found.monday
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        times = [
            {
                "id": f"tid-{o.start:%Y%m%d-%H%M}",
                "value": o.start.isoformat(),
                "label": fmt.time_span(o.start, o.end, locale),
                "checked": checked is not None and o.start == checked,
            }
            for o in found.options
            if o.start.date() == day
        ]
        if offset < 5 or times:
            days.append(
                {
                    "title": fmt.day_title(day, locale),
                    "in_sentence": fmt.day_in_sentence(day, locale),
                    "id": f"dag-{day.isoformat()}",
                    "times": times,
                }
            )
    previous, following = monday - timedelta(days=7), monday + timedelta(days=7)
    first = found.first_free.astimezone(queries.offer_zone(offer)).date() if found.first_free else None
    return Week(
        monday=monday,
        iso=fmt.iso_week(monday),
        title=fmt.week_title(monday, locale),
        days=days,
        count=len(found.options),
        previous=fmt.iso_week(previous) if previous >= monday_of(today) else None,
        next=fmt.iso_week(following) if found.last_day is not None and following <= found.last_day else None,
        first_free=fmt.iso_week(first) if first else None,
        first_input=next((t["id"] for d in days for t in d["times"]), None),
    )


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def live_times_url(offer: OfferView, monday: date, advisor: uuid.UUID | None) -> str:
    """The public times of the week shown (the live-times script asks it every few seconds)."""
    tz = queries.offer_zone(offer)
    week_end = local_midnight(monday + timedelta(days=7), tz)
    query = {"from": local_midnight(monday, tz).isoformat(), "to": week_end.isoformat()}
    if advisor is not None:
        query["advisor_id"] = str(advisor)
    return f"/api/v1/offers/{offer.id}/times?{urlencode(query)}"


def when_text(start: datetime, end: datetime, locale: str = DANISH) -> str:
    """``tirsdag 8. december 2026 kl. 09.00-09.30`` / ``Tuesday 8 December 2026, 09:00-09:30``."""
    return fmt.when(start, end, locale)


def email_problem(value: str, locale: str = DANISH) -> str | None:
    """The error of an e-mail field (empty is allowed: no e-mail), or None."""
    if not value or (len(value) <= 254 and EMAIL.match(value)):
        return None
    return translations(locale).gettext(
        "Skriv en gyldig e-mailadresse, f.eks. navn@eksempel.dk, eller lad feltet være tomt."
    )


def profile_email(session: Session, settings: Settings, cpr: Cpr) -> str | None:
    """The e-mail address the citizen's imported profile gives (the summary's default)."""
    indexes = vault_for_settings(settings).indexes(cpr)
    return session.scalar(select(CitizenProfileRow.email).where(CitizenProfileRow.cpr_index.in_(indexes)).limit(1))


def next_period(offer: OfferView, today: date, locale: str = DANISH) -> str | None:
    """When an offer without free times will have some, if one can say (the week page's
    notice): a rolling period that has not reached the first meeting date opens on a known
    day; one that has adds a day's times every day; a fixed period that has ended, never."""
    if offer.end_date is not None and offer.end_date <= today:
        return None
    if offer.rolling_weeks is None:
        return None
    tr = translations(locale)
    opens = offer.first_meeting_date - timedelta(weeks=offer.rolling_weeks)
    if opens > today:
        return tr.gettext("Der bliver åbnet for tider %(date)s.") % {"date": fmt.long_date(opens, locale)}
    weeks = offer.rolling_weeks
    return tr.ngettext(
        "Der kommer nye tider til hver dag, op til %(num)s uge frem. Prøv igen i morgen.",
        "Der kommer nye tider til hver dag, op til %(num)s uger frem. Prøv igen i morgen.",
        weeks,
    ) % {"num": weeks}
