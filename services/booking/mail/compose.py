"""The Danish text of the e-mails to citizens. Pure: no database session, no Flask request.

Each message names the meeting (the offer's name), when it is (in the offer's zone, with
"Alle tider er dansk tid"), how it happens (``views.channel_text``), the booking reference,
the terms the booking keeps (``views.terms``) and where the citizen sees their bookings. It
never holds the citizen's CPR number or name: nothing here is given them. The offer's name
and place are staff's free text, so anything shaped like a CPR number in them is masked,
and line breaks in a name never reach a header.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from services.booking import calendar_file, queries
from services.booking.models import Booking, OfferView
from services.booking.pages.views import channel_text, terms, when_text
from shared import formatting as fmt
from shared.logs import redact_cpr

MailKind = Literal["confirmation", "rebooked", "moved", "cancelled", "reminder"]
KINDS: tuple[MailKind, ...] = ("confirmation", "rebooked", "moved", "cancelled", "reminder")
BOOKINGS_PATH = "/mine-moedetilbud/aftaler"
SUBJECT_PREFIX: dict[MailKind, str] = {
    "confirmation": "Bekræftelse",
    "rebooked": "Mødet er flyttet",
    "moved": "Mødet er flyttet",
    "cancelled": "Aflyst",
    "reminder": "Påmindelse",
}
OPENING: dict[MailKind, str] = {
    "confirmation": "Du har booket et møde hos jobcentret.",
    "rebooked": "Dit møde hos jobcentret er flyttet til en ny tid.",
    "moved": "Jobcentret har flyttet mødet, du har en plads ved, til en ny tid.",
    "cancelled": "Dit møde hos jobcentret er aflyst.",
    "reminder": "Vi minder dig om dit møde hos jobcentret.",
}
DANISH_TIME = "Alle tider er dansk tid."
NO_REPLY = "Denne e-mail er sendt automatisk og kan ikke besvares."
MAX_SUBJECT = 300


@dataclass(frozen=True)
class ComposedMail:
    """Subject, plain text and the attached calendar file (None: no attachment)."""

    subject: str
    body: str
    calendar: str | None


def one_line(text: str) -> str:
    """``text`` on one line (a header must not break), CPR-shaped numbers masked."""
    return redact_cpr(" ".join(text.split()))


def bookings_link(public_url: str) -> str | None:
    """The citizen's own bookings, ``{public_url}/mine-moedetilbud/aftaler`` (None without a URL)."""
    return f"{public_url.rstrip('/')}{BOOKINGS_PATH}" if public_url else None


def subject(kind: MailKind, offer: OfferView, booking: Booking) -> str:
    """``Bekræftelse: Jobsamtale tirsdag 8. december 2026 kl. 09.00`` (in the offer's zone)."""
    start = booking.start_at.astimezone(queries.offer_zone(offer))
    text = f"{SUBJECT_PREFIX[kind]}: {one_line(offer.name)} {fmt.long_date(start.date())} kl. {fmt.clock(start)}"
    return text[:MAX_SUBJECT]


def calendar_for(kind: MailKind, offer: OfferView, booking: Booking, now: datetime) -> str:
    """The attachment: the booking's file (``METHOD:PUBLISH``), or for a cancellation the file
    that withdraws it (``METHOD:CANCEL``, same UID)."""
    common = {
        "booking_id": booking.id,
        "reference": booking.reference,
        "offer_name": one_line(offer.name),
        "channel": offer.channel,
        "channel_text": channel_text(offer),
        "place": offer.place,
        "start": booking.start_at,
        "end": booking.end_at,
        "timezone": queries.offer_zone(offer).key,
    }
    if kind == "cancelled":
        return calendar_file.booking_cancel_ics(**common, cancelled=booking.cancelled_at or now)
    return calendar_file.booking_ics(**common, created=booking.created_at or now)


def _when(offer: OfferView, start: datetime, end: datetime) -> str:
    tz = queries.offer_zone(offer)
    return when_text(start.astimezone(tz), end.astimezone(tz))


def body(kind: MailKind, offer: OfferView, booking: Booking, *, old: Booking | None, bookings_url: str | None) -> str:
    """The plain text of the message (see the module's docstring for what it holds)."""
    lines = [OPENING[kind], ""]
    if kind == "rebooked" and old is not None:
        lines += [f"Den tidligere tid, {_when(offer, old.start_at, old.end_at)}, er aflyst.", ""]
    if kind == "moved" and old is not None:
        lines += [f"Den tidligere tid, {_when(offer, old.start_at, old.end_at)}, gælder ikke længere.", ""]
    lines += [
        f"Møde: {one_line(offer.name)}",
        f"Tidspunkt: {_when(offer, booking.start_at, booking.end_at)}",
        DANISH_TIME,
        f"Mødeform: {redact_cpr(channel_text(offer))}",
        f"Bookingreference: {booking.reference}",
        "",
    ]
    if kind != "cancelled":
        lines += [*terms(booking), ""]
    if bookings_url:
        lines += [f"Se dine aftaler: {bookings_url}", ""]
    if kind == "cancelled":
        lines.append("Vedhæftet er en kalenderfil (.ics), som fjerner mødet fra din kalender.")
    else:
        lines.append("Vedhæftet er mødet som kalenderfil (.ics), så du kan lægge det i din kalender.")
    if kind == "rebooked":
        lines.append("Har du lagt den tidligere tid i din kalender, så slet den.")
    if kind == "moved":
        lines.append("Har du lagt mødet i din kalender, så flytter kalenderfilen det til den nye tid.")
    lines += ["", NO_REPLY]
    return "\n".join(lines) + "\n"


def compose(
    kind: MailKind,
    offer: OfferView,
    booking: Booking,
    *,
    old: Booking | None = None,
    public_url: str = "",
    now: datetime,
) -> ComposedMail:
    """The message of ``kind`` about ``booking`` of ``offer`` (for ``rebooked``: the new
    booking, ``old`` the one it replaced); ``public_url`` is the booking service's origin."""
    return ComposedMail(
        subject=subject(kind, offer, booking),
        body=body(kind, offer, booking, old=old, bookings_url=bookings_link(public_url)),
        calendar=calendar_for(kind, offer, booking, now),
    )
