"""The e-mail that offers a citizen on a waiting list the seat freed at a full group meeting
(afventerliste, issue 14). Pure, like ``compose``: it names the meeting, when it is, until
when the seat is held, and where to take it; never the citizen's CPR number or name.
"""

from __future__ import annotations

from datetime import datetime

from services.booking import queries
from services.booking.mail.compose import DANISH_TIME, MAX_SUBJECT, NO_REPLY, ComposedMail, one_line
from services.booking.models import GroupMeetingView, OfferView
from services.booking.pages.views import channel_text, when_text
from shared import formatting as fmt
from shared.logs import redact_cpr

KIND = "seat_offered"


def meetings_link(public_url: str, offer: OfferView) -> str | None:
    """The offer's page of meetings, where the held seat is taken (None without a URL)."""
    return f"{public_url.rstrip('/')}/mine-moedetilbud/{offer.id}/moeder" if public_url else None


def compose_seat_offer(
    offer: OfferView, meeting: GroupMeetingView, held_until: datetime, *, public_url: str
) -> ComposedMail:
    """``Ledig plads: Informationsmøde tirsdag 8. december 2026 kl. 09.00``: the seat held for the
    citizen until ``held_until`` (in the offer's zone), and the link to take it."""
    tz = queries.offer_zone(offer)
    start, end, until = (moment.astimezone(tz) for moment in (meeting.start_at, meeting.end_at, held_until))
    title = f"Ledig plads: {one_line(offer.name)} {fmt.long_date(start.date())} kl. {fmt.clock(start)}"
    lines = [
        "Der er blevet en plads ledig ved mødet, som du står på venteliste til.",
        "",
        f"Møde: {one_line(offer.name)}",
        f"Tidspunkt: {when_text(start, end)}",
        f"Mødeform: {redact_cpr(channel_text(offer))}",
        "",
        f"Pladsen er holdt til dig til {fmt.moment(until)}. "
        "Tager du den ikke inden da, går den videre til den næste på ventelisten.",
        DANISH_TIME,
        "",
    ]
    link = meetings_link(public_url, offer)
    if link:
        lines += [f"Tag pladsen her (du logger ind med MitID): {link}", ""]
    lines += ["Vil du ikke have pladsen, kan du melde dig af ventelisten samme sted.", "", NO_REPLY]
    return ComposedMail(subject=title[:MAX_SUBJECT], body="\n".join(lines) + "\n", calendar=None)
