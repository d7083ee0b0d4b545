"""The foundation story, walked over HTTP against any running stack.

A staff member creates an individual offer for two advisors; the worker reads both
CalDAV calendars; IT imports the citizens' profiles into booking; a citizen logs in with
"MitID" (the embedded OpenID Connect provider), sees the offers meant for them, lists the
times and books one, never sending a CPR number; the meeting appears in the advisor's
calendar, and that time plus its reporting time disappears from this offer and from the
advisor's other offer. A citizen the offer is not meant for is refused with the reason.
Also: 20 simultaneous requests for one time give one booking, and a new event in an
advisor's calendar removes the overlapping times after the next sync. At the end, no
CPR number is in any URL the provider was asked for, any log line, or the calendar events.
"""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import caldav
import icalendar
import requests

from shared.config import Settings
from shared.working_time import ClosingPolicy, closed_days
from tests.e2e.processes import eventually
from tests.login import Logins

CPH = ZoneInfo("Europe/Copenhagen")
WEEKDAYS = {d: [["08:00", "16:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
OUTSIDER = 50
"""The citizen ``fictitious_cpr(OUTSIDER)`` receives kontanthjælp, so only the phone offer is for them."""


def _rule(type_: str, condition: str, value: Any) -> dict[str, Any]:
    return {"type": type_, "condition": condition, "value": value}


ADULTS_ON_UNEMPLOYMENT_BENEFIT = {
    "join": "and",
    "groups": [{"match": "all", "rules": [_rule("contact_group", "eq", "Dagpengemodtager"), _rule("age", "gte", 18)]}],
}
ON_BENEFITS = {
    "join": "and",
    "groups": [
        {
            "match": "any",
            "rules": [
                _rule("contact_group", "eq", "Dagpengemodtager"),
                _rule("contact_group", "eq", "Kontanthjælpsmodtager"),
            ],
        }
    ],
}


CPR_CLAIM = Settings.model_fields["citizen_oidc_cpr_claim"].default
CPR_SHAPED = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")


@dataclass
class Stack:
    offers_url: str
    booking_url: str
    radicale: Any  # services.demo.embedded_radicale.RadicaleServer
    users: dict[str, str]
    identity_provider: Any  # services.demo.oidc_provider.EmbeddedOidcProvider
    citizen_client_id: str
    staff_key: str  # an API key with administrator and planner roles everywhere (IT's set-up)
    logs: Any  # () -> str: every log line the stack wrote so far
    assert_running: Any = lambda: None

    @property
    def staff(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.staff_key}"}


def fictitious_cpr(n: int) -> str:
    return f"0101{90 + n % 10:02d}{4000 + n:04d}"


def story_day(today: date) -> date:
    """The first working day at least two days ahead (not a weekend, holiday or 24/31 Dec)."""
    closed = closed_days(ClosingPolicy(), today, today + timedelta(days=30))
    day = today + timedelta(days=2)
    while day.weekday() >= 5 or day in closed:
        day += timedelta(days=1)
    return day


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=CPH)


def ics_event(uid: str, start: datetime, end: datetime, summary: str) -> str:
    fmt = "%Y%m%dT%H%M%S"
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//planner tests//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Copenhagen:{start.strftime(fmt)}\r\n"
        f"DTEND;TZID=Europe/Copenhagen:{end.strftime(fmt)}\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def calendar(stack: Stack, user: str, url: str) -> Any:
    client = caldav.DAVClient(url=url, username=user, password=stack.users[user])
    return client.calendar(url=url)


def post(url: str, body: Any, expect: int = 201, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = requests.post(url, json=body, headers=headers, timeout=30)
    assert response.status_code == expect, f"{url}: {response.status_code} {response.text}"
    return response.json() if response.content else {}


def times(stack: Stack, offer_id: str) -> list[dict[str, Any]]:
    response = requests.get(f"{stack.booking_url}/api/v1/offers/{offer_id}/times", timeout=30)
    if response.status_code == 404:  # the offer has not reached booking yet
        return []
    assert response.status_code == 200, response.text
    return response.json()["times"]


def local_starts(found: list[dict[str, Any]], advisor_id: str, day: date) -> set[str]:
    result = set()
    for item in found:
        start = datetime.fromisoformat(item["start"]).astimezone(CPH)
        assert start.utcoffset() is not None
        if item.get("advisor_id") == advisor_id and start.date() == day:
            result.add(start.strftime("%H:%M"))
    return result


def walk(stack: Stack, *, concurrent_requests: int = 20) -> None:
    today = datetime.now(CPH).date()
    day = story_day(today)
    tag = uuid.uuid4().hex[:8]
    o = f"{stack.offers_url}/api/v1"
    staff = stack.staff
    logins = Logins(stack.identity_provider, stack.citizen_client_id)

    def citizen(n: int) -> dict[str, str]:
        """Citizen ``n``'s access token, after logging in at the provider (their CPR in its claim)."""
        stack.identity_provider.put_user(f"story-{tag}-{n}", {CPR_CLAIM: fictitious_cpr(n), "name": f"Borger {n}"})
        return logins.headers(f"story-{tag}-{n}")

    # Staff: admin data and two advisors whose calendars live on the CalDAV server.
    code = f"{int(tag[:4], 16) % 90000 + 10000}"
    centre = post(f"{o}/job-centres", {"code": code, "name": f"Jobcenter {tag}"}, headers=staff)
    team = post(f"{o}/teams", {"job_centre_id": centre["id"], "name": "Team Øst", "phone": "70000000"}, headers=staff)
    advisors: dict[str, str] = {}
    calendars: dict[str, str] = {}
    for user in ("anne", "bo"):
        calendars[user] = stack.radicale.create_calendar(user, stack.users[user], f"story-{tag}")
    calendar(stack, "anne", calendars["anne"]).add_event(ics_event(f"busy-{tag}", at(day, 10), at(day, 11), "Møde"))
    for user, name in (("anne", "Anne Jensen"), ("bo", "Bo Nielsen")):
        advisors[user] = post(
            f"{o}/advisors",
            {
                "job_centre_id": centre["id"],
                "team_ids": [team["id"]],
                "name": name,
                "email": f"{user}@example.org",
                "phone": "70000001",
                "working_hours": WEEKDAYS,
                "caldav_url": calendars[user],
                "caldav_username": user,
                "caldav_password": stack.users[user],
            },
            headers=staff,
        )["id"]

    common = {
        "job_centre_id": centre["id"],
        "team_id": team["id"],
        "conversation_type": 7,
        "meeting_form": "individual",
        "description": "Samtale om job.",
        "first_meeting_date": today.isoformat(),
        "opens_on": today.isoformat(),
        "rolling_weeks": 2,
        "citizen_may_choose_advisor": True,
        "accept_cancellation": True,
        "rebooking_days_before": None,
    }
    offer = post(
        f"{o}/offers",
        {
            **common,
            "name": "Jobsamtale",
            "channel": "in_person",
            "place": "Torvet 1",
            "duration_minutes": 30,
            "reporting_minutes": 15,
            "start_minutes": [0, 30],
            "advisor_ids": [advisors["anne"], advisors["bo"]],
            "rules": ADULTS_ON_UNEMPLOYMENT_BENEFIT,
        },
        headers=staff,
    )
    other = post(
        f"{o}/offers",
        {
            **common,
            "name": "Telefonsamtale",
            "channel": "phone",
            "phone": "70000001",
            "duration_minutes": 60,
            "reporting_minutes": 0,
            "start_minutes": [0, 15, 30, 45],
            "advisor_ids": [advisors["anne"]],
            "rules": ON_BENEFITS,
        },
        headers=staff,
    )

    # IT imports the citizens' profiles into booking (as from the citizen registry).
    citizens = [
        {"cpr": fictitious_cpr(n), "name": f"Borger {n}", "contact_group": "Dagpengemodtager"}
        for n in range(concurrent_requests + 1)
    ]
    citizens.append({"cpr": fictitious_cpr(OUTSIDER), "name": "Karin", "contact_group": "Kontanthjælpsmodtager"})
    imported = post(f"{stack.booking_url}/api/v1/citizens", citizens, expect=200, headers=staff)
    assert imported["created"] + imported["replaced"] == len(citizens)

    # The worker reads both calendars and computes the times; booking receives them.
    def both_advisors_offered() -> list[dict[str, Any]] | None:
        found = times(stack, offer["id"])
        have = {t.get("advisor_id") for t in found}
        return found if {advisors["anne"], advisors["bo"]} <= have else None

    found = eventually(both_advisors_offered, timeout=90, what="times of both advisors", on_tick=stack.assert_running)
    anne, bo = local_starts(found, advisors["anne"], day), local_starts(found, advisors["bo"], day)
    assert {"08:00", "09:00", "11:00"} <= anne
    assert not {"09:30", "10:00", "10:30"} & anne, "Anne's 10-11 meeting must block these starts"
    assert {"09:30", "10:00", "10:30"} <= bo
    assert all(datetime.fromisoformat(t["start"]).astimezone(CPH).date() > today for t in found), "1 day notice"
    eventually(lambda: local_starts(times(stack, other["id"]), advisors["anne"], day), what="the second offer's times")

    # Each citizen sees the offers meant for them; the outsider is refused the other one, with the reason.
    def eligible(n: int) -> set[str]:
        found = post(f"{stack.booking_url}/api/v1/eligible-offers", {}, 200, headers=citizen(n))
        return {o["id"] for o in found["offers"]}

    assert {offer["id"], other["id"]} <= eligible(0)
    outsider = eligible(OUTSIDER)
    assert other["id"] in outsider and offer["id"] not in outsider
    refused = requests.post(
        f"{stack.booking_url}/api/v1/bookings",
        json={"offer_id": offer["id"], "advisor_id": advisors["anne"], "start": at(day, 8).isoformat()},
        headers=citizen(OUTSIDER),
        timeout=30,
    )
    assert refused.status_code == 403, refused.text
    assert "Kontaktgruppe lig med Dagpengemodtager" in refused.json()["detail"]
    assert fictitious_cpr(OUTSIDER) not in refused.text

    # A citizen books 08:00 with Anne: that time and its reporting time go at once, in both offers.
    booking = post(
        f"{stack.booking_url}/api/v1/bookings",
        {
            "offer_id": offer["id"],
            "advisor_id": advisors["anne"],
            "start": at(day, 8).isoformat(),
        },
        headers=citizen(0),
    )
    assert "cpr" not in str(booking).lower() and fictitious_cpr(0) not in str(booking)
    anne_now = local_starts(times(stack, offer["id"]), advisors["anne"], day)
    assert "08:00" not in anne_now and "08:30" not in anne_now and "09:00" in anne_now
    other_now = local_starts(times(stack, other["id"]), advisors["anne"], day)
    assert not {"08:00", "08:15", "08:30"} & other_now and "08:45" in other_now

    # Twenty citizens press "Book" for the same time at once: one gets it.
    barrier = threading.Barrier(concurrent_requests)
    statuses: list[int] = []
    bodies: list[dict[str, Any]] = []

    logged_in = [citizen(n + 1) for n in range(concurrent_requests)]

    def attempt(n: int) -> None:
        body = {"offer_id": other["id"], "advisor_id": advisors["anne"], "start": at(day, 13).isoformat()}
        barrier.wait()
        response = requests.post(f"{stack.booking_url}/api/v1/bookings", json=body, headers=logged_in[n], timeout=60)
        statuses.append(response.status_code)
        bodies.append(response.json())

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(concurrent_requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * (concurrent_requests - 1), statuses
    conflicts = [b for b in bodies if b.get("status") == 409]
    assert all(b["detail"] and b["title"] for b in conflicts)

    # The meeting appears in Anne's own calendar, at the booked time, without any CPR number.
    def booked_event() -> str | None:
        cal = calendar(stack, "anne", calendars["anne"])
        for obj in cal.search(start=at(day, 0), end=at(day + timedelta(days=1), 0), event=True):
            text = obj.data
            if f"booking-{booking['id']}@jobcenter-planner" in text:
                return text
        return None

    event_text = eventually(
        booked_event, timeout=60, what="the meeting in Anne's calendar", on_tick=stack.assert_running
    )
    vevent = next(iter(icalendar.Calendar.from_ical(event_text).walk("VEVENT")))
    assert vevent.decoded("DTSTART").astimezone(CPH) == at(day, 8)
    assert vevent.decoded("DTEND").astimezone(CPH) == at(day, 8, 30)
    assert not re.search(r"\d{6}-?\d{4}", event_text.replace(booking["id"], "")), "no CPR number in the calendar"

    # Bo gets a new meeting in his own calendar; after the next sync its times are gone.
    assert {"13:00", "13:30", "14:00", "14:30"} <= local_starts(times(stack, offer["id"]), advisors["bo"], day)
    calendar(stack, "bo", calendars["bo"]).add_event(ics_event(f"new-{tag}", at(day, 14), at(day, 15), "Nyt møde"))
    post(f"{o}/advisors/{advisors['bo']}/sync", {}, expect=202, headers=staff)

    def bo_blocked() -> set[str] | None:
        bo_now = local_starts(times(stack, offer["id"]), advisors["bo"], day)
        return bo_now if "14:00" not in bo_now and "15:00" in bo_now else None

    bo_now = eventually(bo_blocked, timeout=60, what="Bo's new meeting to block times", on_tick=stack.assert_running)
    assert "13:00" in bo_now and not {"13:30", "14:00", "14:30"} & bo_now

    # Staff placing a group meeting with Anne and Bo see only the hours when both are free:
    # not over Anne's meeting, her booked 08:00 meeting with its reporting time, or Bo's new one.
    def group_meeting_times() -> set[str] | None:
        query = {"advisor_id": [advisors["anne"], advisors["bo"]], "first_date": day.isoformat(),
                 "last_date": day.isoformat(), "duration_minutes": 60, "start_minutes": [0]}  # fmt: skip
        response = requests.get(f"{o}/group-meeting-times", params=query, headers=staff, timeout=30)
        assert response.status_code == 200, response.text
        found = {datetime.fromisoformat(t["start"]).astimezone(CPH).strftime("%H:%M") for t in response.json()["times"]}
        return found if found and not {"08:00", "14:00"} & found else None

    group = eventually(group_meeting_times, timeout=60, what="group meeting times", on_tick=stack.assert_running)
    assert "09:00" in group and "10:00" not in group

    # The citizen cancels the 08:00 meeting: it leaves Anne's calendar and the time is free again.
    post(f"{stack.booking_url}/api/v1/bookings/{booking['id']}/cancel", {}, 200, headers=citizen(0))
    eventually(lambda: booked_event() is None, timeout=60, what="the meeting to leave Anne's calendar",
               on_tick=stack.assert_running)  # fmt: skip
    assert "08:00" in local_starts(times(stack, offer["id"]), advisors["anne"], day)

    # The citizen logs in on the booking site in a browser (a session cookie) and reads who
    # used their CPR number: their own booking and cancellation, staff's import.
    browser = requests.Session()
    started = browser.get(f"{stack.booking_url}/login", allow_redirects=False, timeout=30)
    assert started.status_code == 302, started.text
    landed = browser.get(stack.identity_provider.log_in_as(started.headers["Location"], f"story-{tag}-0"),
                         allow_redirects=False, timeout=30)  # fmt: skip
    assert landed.status_code == 303 and "Du er logget ind med MitID" in browser.get(stack.booking_url, timeout=30).text
    mine = browser.get(f"{stack.booking_url}/api/v1/access-log/mine", timeout=30)
    assert mine.status_code == 200, mine.text
    assert {"booking", "cancel_booking"} <= {entry["purpose"] for entry in mine.json()["items"]}

    # In the same browser the citizen books 08:00 with Anne again, through the pages this time
    # (the week, the hold, "Book mødet"): the meeting reaches Anne's calendar; cancelling it
    # on Mine aftaler (after the question) takes it away again.
    pages = f"{stack.booking_url}/mine-moedetilbud"
    year, week, _ = day.isocalendar()
    shown = browser.get(f"{pages}/{offer['id']}/tider", params={"uge": f"{year}-W{week:02d}"}, timeout=30)
    assert shown.status_code == 200 and f'value="{at(day, 8).isoformat()}"' in shown.text, shown.text[:2000]
    token = re.search(r'name="csrf_token" value="([^"]+)"', shown.text)
    assert token is not None
    form = {"csrf_token": token[1], "start": at(day, 8).isoformat(), "raadgiver": advisors["anne"]}
    held = browser.post(f"{pages}/{offer['id']}/tider", data=form, allow_redirects=False, timeout=30)
    assert held.status_code == 303, held.text[:2000]
    done = browser.post(stack.booking_url + held.headers["Location"], data={"csrf_token": token[1]},
                        allow_redirects=False, timeout=30)  # fmt: skip
    assert done.status_code == 303 and "/kvittering/" in done.headers["Location"], done.text[:2000]
    booking = {"id": done.headers["Location"].rpartition("/")[2]}
    assert "Mødet er booket" in browser.get(stack.booking_url + done.headers["Location"], timeout=30).text
    eventually(booked_event, timeout=60, what="the page's meeting in Anne's calendar", on_tick=stack.assert_running)
    cancelled = browser.post(f"{pages}/aftaler/{booking['id']}/aflys", data={"csrf_token": token[1]},
                             allow_redirects=False, timeout=30)  # fmt: skip
    assert cancelled.status_code == 303, cancelled.text[:2000]
    eventually(lambda: booked_event() is None, timeout=60, what="the page's meeting to leave Anne's calendar",
               on_tick=stack.assert_running)  # fmt: skip

    # No CPR number travelled in a URL (to the provider or, as a query, to the services), or
    # reached a cookie, a log line or the calendar events.
    numbers = [fictitious_cpr(n) for n in [*range(concurrent_requests + 1), OUTSIDER]]
    urls = "\n".join(stack.identity_provider.requested_urls)
    cookies = "\n".join(f"{cookie.name}={cookie.value}" for cookie in browser.cookies)
    logs = stack.logs()
    events = "\n".join(obj.data for user in ("anne", "bo") for obj in calendar(stack, user, calendars[user]).events())
    found = (("a provider URL", urls), ("a cookie", cookies), ("the logs", logs), ("a calendar event", events))
    for where, text in found:
        assert not [number for number in numbers if number in text], f"a CPR number in {where}"
