"""Who calls at a phone meeting (O-4) as the citizen and the advisor read it: the citizen's
pages and e-mails say whether the advisor calls them (from which number) or they call the
number; the advisor's calendar event says who calls, and never more about the citizen."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.booking.models import OfferView
from services.booking.pages.views import channel_text
from services.calendar_sync.meeting_event import meeting_description
from shared.i18n import ENGLISH
from tests.calendar_sync.factories import booking_payload


def phone_offer(caller: str | None, phone: str | None) -> OfferView:
    return OfferView(channel="phone", caller=caller, phone=phone)


@pytest.mark.parametrize(
    ("caller", "phone", "text"),
    [
        ("advisor", "70 20 30 40", "Telefonmøde. Din rådgiver ringer til dig fra 70 20 30 40 på tidspunktet."),
        ("advisor", None, "Telefonmøde. Din rådgiver ringer til dig på tidspunktet."),
        ("citizen", "70 20 30 40", "Telefonmøde. Du ringer selv til 70 20 30 40 på tidspunktet."),
        (None, "70 20 30 40", "Telefonmøde. Du ringer selv til 70 20 30 40 på tidspunktet."),  # an older offer
    ],
)
def test_the_citizen_reads_who_calls(caller: str | None, phone: str | None, text: str) -> None:
    assert channel_text(phone_offer(caller, phone)) == text


def test_who_calls_reads_in_english_too() -> None:
    assert "calls you from 70 20 30 40" in channel_text(phone_offer("advisor", "70 20 30 40"), ENGLISH)


def test_the_advisors_calendar_event_says_who_calls() -> None:
    start = datetime(2027, 1, 4, 9, tzinfo=UTC)
    calls = booking_payload("a1", "o1", start, channel="phone", place=None, phone="70 20 30 40", caller="advisor")
    description = meeting_description(calls)
    assert "Vejlederen ringer til borgeren" in description and "Telefon: 70 20 30 40" in description
    called = booking_payload("a1", "o1", start, channel="phone", place=None, phone="70 20 30 40", caller="citizen")
    assert "Borgeren ringer til nummeret." in meeting_description(called)
    assert "ringer" not in meeting_description(booking_payload("a1", "o1", start))  # in person
