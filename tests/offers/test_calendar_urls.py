"""Staff cannot point an advisor's calendar into the internal network: a refused calendar URL
is a Danish field error (422 problem document), and nothing is stored or announced."""

from __future__ import annotations

import socket
from collections.abc import Iterable
from typing import Any

import pytest
from flask.testing import FlaskClient

from shared.service import ServiceContext
from tests.offers.conftest import WEEKDAYS, Api, outbox
from tests.offers.test_admin_api import assert_refused

INTERNAL = "peger på en intern adresse"


DNS = {
    "kalender.kommune.dk": ["93.184.215.14"],
    "intern.kommune.dk": ["10.0.0.5"],
    "rebind.example": ["93.184.215.14", "127.0.0.1"],
    "metadata.example": ["169.254.169.254"],
}


class Resolver:
    """The offers app's name look-ups, from ``DNS`` (no DNS in the tests); records calls."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, host: str) -> Iterable[str]:
        self.asked.append(host)
        if host not in DNS:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return DNS[host]


@pytest.fixture
def resolver(context: ServiceContext) -> Resolver:
    context.resolve = resolver = Resolver()
    return resolver


def advisor_body(centre: dict[str, Any], url: str) -> dict[str, Any]:
    return {
        "job_centre_id": centre["id"],
        "name": "Anne",
        "working_hours": WEEKDAYS,
        "caldav_url": url,
        "caldav_username": "anne",
        "caldav_password": "anne-secret",
    }


def field_errors(problem: dict[str, Any]) -> str:
    return " ".join(problem["errors"]["caldav_url"])


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://kalender.kommune.dk/anne/", "Kalenderadressen skal begynde med http:// eller https://"),
        ("kalender.kommune.dk/anne/", "skal begynde med http:// eller https://"),
        ("https://anne:hemmelig@kalender.kommune.dk/anne/", "brugernavn eller adgangskode"),
        ("https://kalender.kommune.dk/an\tne/", "mellemrum eller kontroltegn"),
        ("http://127.0.0.1:5232/anne/", f"{INTERNAL} (127.0.0.1), som ikke er tilladt"),
        ("http://2130706433:5232/anne/", f"{INTERNAL} (127.0.0.1)"),
        ("http://0x7f.1/anne/", f"{INTERNAL} (127.0.0.1)"),
        ("http://[::1]/anne/", f"{INTERNAL} (::1)"),
        ("http://[::ffff:127.0.0.1]/anne/", INTERNAL),
        ("http://169.254.169.254/latest/meta-data/", f"{INTERNAL} (169.254.169.254)"),
        ("http://10.0.0.5/anne/", f"{INTERNAL} (10.0.0.5)"),
        ("http://10.21.0.1/anne/", f"{INTERNAL} (10.21.0.1)"),  # beside the admitted 10.20.0.0/16
        ("http://192.168.1.10/anne/", f"{INTERNAL} (192.168.1.10)"),
        ("http://100.64.0.1/anne/", f"{INTERNAL} (100.64.0.1)"),
        ("http://[fd00::1]/anne/", f"{INTERNAL} (fd00::1)"),
        ("http://localhost:5232/anne/", f"{INTERNAL} (localhost → 127.0.0.1)"),
        ("https://intern.kommune.dk/anne/", f"{INTERNAL} (intern.kommune.dk → 10.0.0.5)"),
        ("https://rebind.example/anne/", f"{INTERNAL} (rebind.example → 127.0.0.1)"),
        ("https://metadata.example/anne/", "169.254.169.254"),
        ("https://ukendt.kommune.dk/anne/", "Kalenderserverens navn ukendt.kommune.dk kan ikke slås op"),
        ("https://bücher.example/anne/", "xn--form"),
    ],
)
def test_a_calendar_url_into_the_internal_network_is_refused_and_nothing_is_stored(
    api: Api, client: FlaskClient, context: ServiceContext, resolver: Resolver, url: str, words: str
) -> None:
    centre = api.centre()
    problem = assert_refused(client, context, "POST", "/advisors", advisor_body(centre, url), "caldav_url")
    assert words in field_errors(problem) and words in problem["detail"]
    if INTERNAL in words:
        assert "IT kan tillade den i PLANNER_CALENDAR_HOSTS_ALLOWED" in problem["detail"]
    assert "anne-secret" not in str(problem) and "hemmelig" not in str(problem)


def test_a_changed_calendar_url_is_checked_and_a_refused_one_changes_nothing(
    api: Api, client: FlaskClient, context: ServiceContext, resolver: Resolver
) -> None:
    advisor = api.advisor(api.centre())
    events = len(outbox(context))
    path = f"/advisors/{advisor['id']}"

    problem = assert_refused(client, context, "PATCH", path, {"caldav_url": "http://169.254.169.254/"}, "caldav_url")

    assert "169.254.169.254" in field_errors(problem)
    assert client.get(f"/api/v1{path}").get_json() == advisor
    assert len(outbox(context)) == events, "no advisor.changed for a refused URL"


@pytest.mark.parametrize(
    ("url", "looked_up"),
    [
        ("https://cal.example.org/anne/", []),  # admitted by name: not looked up
        ("https://kalender.kommune.dk/anne/", ["kalender.kommune.dk"]),  # resolves to a public address
        ("https://93.184.215.14/dav/anne/", []),
        ("http://10.20.1.5:8080/dav/anne/", []),  # inside the admitted 10.20.0.0/16
        ("http://[::ffff:10.20.1.5]/dav/anne/", []),
    ],
)
def test_a_public_or_admitted_calendar_url_is_accepted(
    api: Api, resolver: Resolver, url: str, looked_up: list[str]
) -> None:
    advisor = api.advisor(api.centre(), caldav_url=url)
    assert advisor["caldav_url"] == url
    assert resolver.asked == looked_up


def test_other_changes_do_not_look_the_stored_url_up_again(api: Api, client: FlaskClient, resolver: Resolver) -> None:
    advisor = api.advisor(api.centre(), caldav_url="https://kalender.kommune.dk/anne/")
    resolver.asked.clear()

    for body in ({"phone": "70000009"}, {"caldav_url": "https://kalender.kommune.dk/anne/"}):
        response = client.patch(f"/api/v1/advisors/{advisor['id']}", json=body)
        assert response.status_code == 200, response.get_data(as_text=True)
    assert resolver.asked == [], "a lookup failing for a moment must not block changing a phone number"


def test_a_refusal_does_not_echo_long_input(api: Api, client: FlaskClient, context: ServiceContext) -> None:
    host = "x" * 400 + "!"
    problem = assert_refused(
        client, context, "POST", "/advisors", advisor_body(api.centre(), f"https://{host}/"), "caldav_url"
    )
    assert host not in str(problem) and len(field_errors(problem)) < 300
