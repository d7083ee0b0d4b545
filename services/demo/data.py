"""Demo data: a job centre, three advisors with realistic calendars, and offers.

Calendars are built relative to the demo's start date so the demo always shows
current free times: a weekly team meeting (one occurrence moved), a daily lunch break,
an all-day absence, a multi-day course and a few one-off meetings. All names and
numbers are fictitious.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

JOB_CENTRE = {"code": "10101", "name": "Jobcenter Demokøbing", "timezone": "Europe/Copenhagen", "region": "AMK Øst"}
TEAM = {"name": "Team Ledige", "phone": "70101010"}
ROOM = {"name": "Store mødesal", "address": "Jobcenter Demokøbing, Torvet 1, 9999 Demokøbing", "capacity": 25}
GROUP_EXTRA_SEATS = 5
"""The demo's information meeting: 25 seats in the room plus 5 kept for citizens who rebook."""
WORKING_HOURS = {d: [["08:00", "15:30"]] for d in ("mon", "tue", "wed", "thu")} | {"fri": [["08:00", "13:00"]]}


@dataclass
class DemoAdvisor:
    user: str
    password: str
    name: str
    email: str
    phone: str
    events: list[str] = field(default_factory=list)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def _event(uid: str, summary: str, start: datetime, end: datetime, extra: str = "") -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//jobcenter-planner//demo//DA\r\n"
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART;TZID=Europe/Copenhagen:{_stamp(start)}\r\nDTEND;TZID=Europe/Copenhagen:{_stamp(end)}\r\n"
        f"SUMMARY:{summary}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def _next_weekday(start: date, weekday: int) -> date:
    return start + timedelta(days=(weekday - start.weekday()) % 7 or 7)


def demo_advisors(today: date) -> list[DemoAdvisor]:
    """Three advisors whose calendars say when they are busy, from ``today`` on."""
    tz = ZoneInfo("Europe/Copenhagen")

    def at(day: date, hh: int, mm: int = 0) -> datetime:
        return datetime.combine(day, time(hh, mm), tzinfo=tz)

    tuesday = _next_weekday(today, 1)
    moved = tuesday + timedelta(days=7)
    team_meeting = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//jobcenter-planner//demo//DA\r\n"
        "BEGIN:VEVENT\r\nUID:team-meeting@demo\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART;TZID=Europe/Copenhagen:{_stamp(at(tuesday, 9))}\r\n"
        f"DTEND;TZID=Europe/Copenhagen:{_stamp(at(tuesday, 10))}\r\n"
        "RRULE:FREQ=WEEKLY;BYDAY=TU\r\nSUMMARY:Teammøde\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:team-meeting@demo\r\nDTSTAMP:20260101T000000Z\r\n"
        f"RECURRENCE-ID;TZID=Europe/Copenhagen:{_stamp(at(moved, 9))}\r\n"
        f"DTSTART;TZID=Europe/Copenhagen:{_stamp(at(moved + timedelta(days=1), 13))}\r\n"
        f"DTEND;TZID=Europe/Copenhagen:{_stamp(at(moved + timedelta(days=1), 14))}\r\n"
        "SUMMARY:Teammøde (flyttet til onsdag)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    monday = _next_weekday(today, 0)
    lunch = _event(
        "lunch@demo", "Frokost", at(monday, 11, 30), at(monday, 12), "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR\r\n"
    )
    absence_day = _next_weekday(today, 3)
    absence = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//jobcenter-planner//demo//DA\r\n"
        "BEGIN:VEVENT\r\nUID:absence@demo\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART;VALUE=DATE:{absence_day:%Y%m%d}\r\nDTEND;VALUE=DATE:{absence_day + timedelta(days=1):%Y%m%d}\r\n"
        "SUMMARY:Fraværende (kursus)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    course_start = _next_weekday(today, 0) + timedelta(days=14)
    course = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//jobcenter-planner//demo//DA\r\n"
        "BEGIN:VEVENT\r\nUID:course@demo\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART;VALUE=DATE:{course_start:%Y%m%d}\r\nDTEND;VALUE=DATE:{course_start + timedelta(days=3):%Y%m%d}\r\n"
        "SUMMARY:Efteruddannelse\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    wednesday = _next_weekday(today, 2)
    return [
        DemoAdvisor(
            "anne",
            "anne-demo",
            "Anne Jensen",
            "anne@demokobing.example",
            "70101011",
            [
                team_meeting,
                lunch,
                _event("case-review@demo", "Sagsgennemgang", at(wednesday, 10), at(wednesday, 11, 30)),
            ],
        ),
        DemoAdvisor(
            "bo",
            "bo-demo",
            "Bo Nielsen",
            "bo@demokobing.example",
            "70101012",
            [team_meeting, lunch, absence],
        ),
        DemoAdvisor(
            "camilla",
            "camilla-demo",
            "Camilla Hansen",
            "camilla@demokobing.example",
            "70101013",
            [
                lunch,
                course,
                _event(
                    "free@demo",
                    "Fokustid (vises som ledig)",
                    at(wednesday, 8),
                    at(wednesday, 10),
                    "TRANSP:TRANSPARENT\r\n",
                ),
            ],
        ),
    ]


def _rule(type_: str, condition: str, value: object) -> dict[str, object]:
    return {"type": type_, "condition": condition, "value": value}


ON_BENEFITS_AND_ADULT = {
    "join": "and",
    "groups": [
        {
            "match": "any",
            "rules": [
                _rule("contact_group", "eq", "Dagpengemodtager"),
                _rule("contact_group", "eq", "Kontanthjælpsmodtager"),
            ],
        },
        {"match": "all", "rules": [_rule("age", "gte", 18)]},
    ],
}
"""Dagpenge- or kontanthjælpsmodtagere of 18 or more."""

UNEMPLOYMENT_BENEFIT = {
    "join": "and",
    "groups": [{"match": "all", "rules": [_rule("contact_group", "eq", "Dagpengemodtager"), _rule("age", "gte", 18)]}],
}


def demo_citizens(today: date) -> list[dict[str, object]]:
    """Fictitious citizens (import fields of POST /api/v1/citizens on booking). 0101901234 is
    the one the demo's printed curl example books with. The e-mail addresses are on the
    reserved .example domain: the demo keeps its mail in a folder anyway."""
    return [
        {
            "cpr": "0101901234",
            "name": "Demo Borger",
            "contact_group": "Dagpengemodtager",
            "job_centre": "10101",
            "email": "demo.borger@borger.example",
        },
        {
            "cpr": "0202854321",
            "name": "Karin Kontant",
            "contact_group": "Kontanthjælpsmodtager",
            "assessment_group": "Jobparat",
            "job_centre": "10101",
            "email": "karin.kontant@borger.example",
        },
        {
            "cpr": "1503604122",
            "name": "Søren Senior",
            "contact_group": "Dagpengemodtager",
            "person_group_markers": ["STAT-SENIOR"],
            "unemployment_fund": "3F A-kasse",
            "job_centre": "10101",
            "email": "soeren.senior@borger.example",
        },
        {
            "cpr": "1111884000",
            "name": "Frida Frist",
            "contact_group": "Dagpengemodtager",
            "booking_deadline": (today + timedelta(days=7)).isoformat(),
            "job_centre": "10101",
        },
        {
            "cpr": "2407054123",
            "name": "Ulla Ung",
            "contact_group": "Modtager af uddannelseshjælp",
            "assessment_group": "Uddannelsesparat",
            "job_centre": "10101",
        },
    ]


def demo_offers(today: date, advisor_ids: dict[str, str], team_id: str) -> list[dict[str, object]]:
    """The offers the demo publishes (API bodies for POST /api/v1/offers)."""
    first = today + timedelta(days=1)
    common = {
        "team_id": team_id,
        "conversation_type": 7,
        "meeting_form": "individual",
        "first_meeting_date": first.isoformat(),
        "opens_on": today.isoformat(),
        "accept_cancellation": True,
        "rebooking_days_before": 2,
    }
    return [
        {
            **common,
            "name": "Jobsamtale – mød din rådgiver på jobcentret",
            "description": "Personlig samtale om dine jobmål og næste skridt.",
            "channel": "in_person",
            "place": "Jobcenter Demokøbing, Torvet 1, 9999 Demokøbing",
            "duration_minutes": 45,
            "reporting_minutes": 15,
            "start_minutes": [0, 30],
            "rolling_weeks": 4,
            "advisor_ids": [advisor_ids["anne"], advisor_ids["bo"]],
            "citizen_may_choose_advisor": False,
            "rules": ON_BENEFITS_AND_ADULT,
        },
        {
            **common,
            "name": "Telefonisk opfølgningssamtale",
            "description": "Din rådgiver ringer dig op på det valgte tidspunkt.",
            "channel": "phone",
            "conversation_type": 4,
            "duration_minutes": 30,
            "reporting_minutes": 10,
            "start_minutes": [0, 15, 30, 45],
            "rolling_weeks": 3,
            "advisor_ids": [advisor_ids["camilla"], advisor_ids["anne"]],
            "citizen_may_choose_advisor": True,
            "rules": UNEMPLOYMENT_BENEFIT,
            "marker_routes": {"STAT-SENIOR": [advisor_ids["camilla"]]},  # seniors talk to Camilla
        },
    ]


def demo_group_offer(today: date, advisor_ids: dict[str, str], team_id: str, room_id: str) -> dict[str, object]:
    """The demo's group meeting (fællesmøde), an information meeting in the large room; its
    meetings are added once the advisors' calendars are read (``run.add_group_meetings``)."""
    return {
        "team_id": team_id,
        "room_id": room_id,
        "name": "Informationsmøde om job og uddannelse",
        "description": "Et fællesmøde for ledige om jobmarkedet, kurser og uddannelse. Du møder to rådgivere.",
        "conversation_type": 9,
        "meeting_form": "group",
        "channel": "in_person",
        "duration_minutes": 60,
        "reporting_minutes": 15,
        "opens_on": today.isoformat(),
        "advisor_ids": [advisor_ids["anne"], advisor_ids["bo"]],
        "accept_cancellation": True,
        "rebooking_days_before": 1,
        "rules": ON_BENEFITS_AND_ADULT,
    }


DEMO_STAFF_GROUPS = {
    "demo-planlaeggere": "planner:10101",
    "demo-laesere": "reader:10101",
    "demo-administratorer": "administrator:10101",
    "demo-landsadministratorer": "administrator:*",
}
"""The demo provider's groups and the grants they map to (``PLANNER_STAFF_GROUP_ROLES``)."""


def demo_staff() -> list[dict[str, object]]:
    """The demo's staff users at its identity provider: one per role at Jobcenter Demokøbing,
    and an administrator of every job centre (the reference lists are theirs)."""
    return [
        {"sub": "pia.planlaegger", "name": "Pia Planlægger", "groups": ["demo-planlaeggere"]},
        {"sub": "lars.laeser", "name": "Lars Læser", "groups": ["demo-laesere"]},
        {"sub": "anne.administrator", "name": "Anne Administrator", "groups": ["demo-administratorer"]},
        {"sub": "niels.national", "name": "Niels National", "groups": ["demo-landsadministratorer"]},
    ]
