"""The one-command demo: the whole system in one process on embedded parts.

SQLite files in ``data_dir``, kombu's in-memory broker, Celery in eager mode (tasks run
in the thread that sends them), an embedded Radicale CalDAV server with three demo
advisors, both HTTP APIs served by waitress threads, and the two event consumers in
threads. The e-mail to citizens is sent by a thread as the mail worker would, into a
folder of ``.eml`` files (``mail_folder``) instead of an SMTP server. The same code paths as
production, with different parts underneath.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from waitress.server import create_server

from services.demo.data import (
    DEMO_STAFF_GROUPS,
    GROUP_EXTRA_SEATS,
    JOB_CENTRE,
    ROOM,
    TEAM,
    WORKING_HOURS,
    demo_advisors,
    demo_citizens,
    demo_group_offer,
    demo_offers,
    demo_staff,
)
from services.demo.embedded_radicale import RadicaleServer, start_radicale
from services.demo.oidc_provider import EmbeddedOidcProvider, User, start_oidc_provider
from shared.auth.api_keys import NewApiKey, create_api_key, stored_form
from shared.auth.grants import parse_grants
from shared.config import Settings, get_settings
from shared.events import Envelope
from shared.messaging import EventConsumer, run_consumer
from shared.secrets import new_key

log = logging.getLogger(__name__)

MAIL_SECONDS = 5.0
"""How often the demo's mail thread sends what is due (at once after a booking, too)."""
REMINDER_SECONDS = 15 * 60.0


def mail_folder(data_dir: Path) -> Path:
    """The demo's mailbox: every e-mail to a citizen lands here as ``<id>.eml``."""
    return data_dir / "e-mail"


@dataclass
class DemoStack:
    """A running demo; ``stop()`` ends every thread it started."""

    settings: Settings
    offers_url: str
    booking_url: str
    radicale: RadicaleServer
    users: dict[str, str]
    identity_provider: EmbeddedOidcProvider
    setup_key: NewApiKey
    offer_ids: list[str] = field(default_factory=list)
    group_offer_id: str = ""
    offers_app: Any = None
    _stoppers: list[Callable[[], None]] = field(default_factory=list)

    def stop(self) -> None:
        for stop in reversed(self._stoppers):
            stop()
        self._stoppers.clear()


DEMO_AUDIENCE = "jobcenter-planner-demo-api"
CITIZEN_CLIENT = ("planner-demo-borgere", "demo-borgere-hemmelighed")
STAFF_CLIENT = ("planner-demo-medarbejdere", "demo-medarbejdere-hemmelighed")


def demo_environment(
    data_dir: Path,
    calendar_server: str = "127.0.0.1",
    identity_provider: str = "http://127.0.0.1:8003",
    setup_key: NewApiKey | None = None,
    service_keys: tuple[NewApiKey, ...] = (),
) -> dict[str, str]:
    """The embedded defaults, as PLANNER_* variables (the worker reads them too). Calendar
    URLs may point at ``calendar_server`` (the embedded Radicale's ``host:port``) and at
    no other internal address; citizens and staff log in at ``identity_provider`` (the
    embedded one); ``setup_key`` is the demo set-up's API key, ``service_keys`` those the
    services use to call each other (offers' key at booking, for the participant lists)."""
    key_file = data_dir / "secret.key"
    if not key_file.exists():
        key_file.write_text(new_key())
    cpr_key_file = data_dir / "cpr.key"  # PLANNER_CPR_KEYS: indexes and seals the CPR numbers
    if not cpr_key_file.exists():
        cpr_key_file.write_text(new_key())
    return {
        "PLANNER_OFFERS_DATABASE_URL": f"sqlite:///{data_dir / 'offers.db'}",
        "PLANNER_BOOKING_DATABASE_URL": f"sqlite:///{data_dir / 'booking.db'}",
        "PLANNER_CALENDAR_SYNC_DATABASE_URL": f"sqlite:///{data_dir / 'calendar_sync.db'}",
        "PLANNER_BROKER_URL": "memory://",
        "PLANNER_CELERY_EAGER": "true",
        "PLANNER_SECRET_KEYS": key_file.read_text().strip(),
        "PLANNER_CPR_KEYS": cpr_key_file.read_text().strip(),
        "PLANNER_OUTBOX_POLL_SECONDS": "1",
        "PLANNER_SYNC_INTERVAL_SECONDS": "60",
        "PLANNER_CALENDAR_HOSTS_ALLOWED": calendar_server,
        "PLANNER_DEMO": "true",
        "PLANNER_COOKIE_SECURE": "false",
        "PLANNER_CITIZEN_OIDC_ISSUER": identity_provider,
        "PLANNER_CITIZEN_OIDC_CLIENT_ID": CITIZEN_CLIENT[0],
        "PLANNER_CITIZEN_OIDC_CLIENT_SECRET": CITIZEN_CLIENT[1],
        "PLANNER_STAFF_OIDC_ISSUER": identity_provider,
        "PLANNER_STAFF_OIDC_CLIENT_ID": STAFF_CLIENT[0],
        "PLANNER_STAFF_OIDC_CLIENT_SECRET": STAFF_CLIENT[1],
        "PLANNER_STAFF_GROUP_ROLES": ";".join(f"{group}={grant}" for group, grant in DEMO_STAFF_GROUPS.items()),
        "PLANNER_TOKEN_AUDIENCE": DEMO_AUDIENCE,
        "PLANNER_API_KEYS": json.dumps([stored_form(k.stored) for k in (setup_key, *service_keys) if k is not None]),
        "PLANNER_MAIL_PICKUP_DIR": str(mail_folder(data_dir)),
    }


def login_name(name: str) -> str:
    """The demo user's subject at the provider, from their name ("Søren Senior" ->
    "soeren.senior"): pseudonymous like MitID's, and never the CPR number."""
    plain = name.lower().replace("ø", "oe").replace("æ", "ae").replace("å", "aa")
    return ".".join(plain.split())


def demo_identity_users(today: Any) -> list[User]:
    """The demo citizens (their CPR number in the MitID claim) and staff, as provider users."""
    cpr_claim = Settings.model_fields["citizen_oidc_cpr_claim"].default
    citizens = [
        User(sub=login_name(str(citizen["name"])), claims={cpr_claim: citizen["cpr"], "name": citizen["name"]})
        for citizen in demo_citizens(today)
    ]
    staff = [User(sub=str(member.pop("sub")), claims=member) for member in demo_staff()]
    return citizens + staff


DATA_MARKER = ".jobcenter-planner-demo"
"""The file that marks a folder as the demo's own (the demo removes only such folders)."""


class DemoRefused(RuntimeError):
    """The demo will not start this way; the message says why, in Danish."""


def check_demo_host(host: str) -> None:
    """Only loopback: the embedded parts let anyone in."""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise DemoRefused(
            f"Demoen kører kun på 127.0.0.1 (ikke {host!r}): dens CalDAV-server har faste demo-adgangskoder, "
            "og på dens login kan alle logge ind som alle."
        )


def prepare_data_dir(data_dir: Path) -> None:
    """An empty ``data_dir`` marked as the demo's: an earlier demo's folder is emptied, an
    empty or missing one made; any other folder is refused and left as it is."""
    if data_dir.exists():
        ours = (data_dir / DATA_MARKER).exists() or all(
            (data_dir / name).exists() for name in ("secret.key", "offers.db", "booking.db")
        )  # marked, or made by a demo from before the mark
        if not data_dir.is_dir() or (any(data_dir.iterdir()) and not ours):
            raise DemoRefused(
                f"{data_dir} er ikke en mappe, demoen har lavet, og den slettes ikke. Vælg en anden --data-dir."
            )
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    (data_dir / DATA_MARKER).write_text("Denne mappe er jobcenter-planner-demoens og slettes ved næste start.\n")


def _serve(app: Any, host: str, port: int, stack: DemoStack) -> str:
    server = create_server(app, host=host, port=port, threads=8, ident="planner-demo")
    thread = threading.Thread(target=server.run, name=f"http-{port}", daemon=True)
    thread.start()
    stack._stoppers.append(server.close)
    return f"http://{host}:{server.effective_port}"  # type: ignore[union-attr]


def _consume(settings: Settings, service: str, handle: Callable[[Envelope], None], stack: DemoStack) -> None:
    consumer: EventConsumer = run_consumer(settings.broker_url, settings.events_exchange, service, handle)
    thread = threading.Thread(target=consumer.run, name=f"consumer-{service}", daemon=True)
    thread.start()
    consumer.ready.wait(10)

    def stop() -> None:
        consumer.should_stop = True
        thread.join(timeout=5)

    stack._stoppers.append(stop)


def _every(seconds: float, action: Callable[[], None], stack: DemoStack) -> None:
    stopped = threading.Event()

    def loop() -> None:
        while not stopped.wait(seconds):
            action()

    threading.Thread(target=loop, name="demo-beat", daemon=True).start()
    stack._stoppers.append(stopped.set)


def _send_mail(settings: Settings, db: Any, stack: DemoStack) -> None:
    """The mail worker in a thread: sends what is due at once after each commit that wrote a
    message and every ``MAIL_SECONDS``, and writes the reminders every ``REMINDER_SECONDS``."""
    from services.booking.free_time_versions import fold
    from services.booking.mail.queue import add_wake_listener, remove_wake_listener
    from services.booking.mail.reminders import queue_reminders
    from services.booking.mail.retention import purge_old_mail
    from services.booking.mail.sending import send_due
    from services.booking.waiting_list import pass_on_expired_offers

    wake, stopped = threading.Event(), threading.Event()

    def loop() -> None:
        reminded = float("-inf")
        while not stopped.is_set():
            try:
                if time.monotonic() - reminded >= REMINDER_SECONDS:
                    purge_old_mail(db)
                    fold(db)
                    queue_reminders(db, settings)
                    reminded = time.monotonic()
                with db.transaction() as session:
                    pass_on_expired_offers(session, settings)
                send_due(db, settings)
            except Exception as exc:  # noqa: BLE001 - the demo's worker keeps going, as Celery's would
                log.warning("demo mail thread: %s", type(exc).__name__)
            wake.wait(MAIL_SECONDS)
            wake.clear()

    add_wake_listener(wake.set)
    thread = threading.Thread(target=loop, name="demo-mail", daemon=True)
    thread.start()

    def stop() -> None:
        remove_wake_listener(wake.set)
        stopped.set()
        wake.set()
        thread.join(timeout=5)

    stack._stoppers.append(stop)


def start_demo(
    data_dir: Path,
    host: str = "127.0.0.1",
    offers_port: int = 8001,
    booking_port: int = 8002,
    identity_port: int = 8003,
) -> DemoStack:
    """Start every part on embedded defaults with fresh demo data; return the running stack.

    Refuses (``DemoRefused``) a host that is not loopback, because the embedded CalDAV server
    has fixed demo passwords and anyone may log in as anyone at the embedded provider, and a
    ``data_dir`` that holds anything but an earlier demo's data, which it would remove.
    """
    check_demo_host(host)
    prepare_data_dir(data_dir)
    today = datetime.now(ZoneInfo(JOB_CENTRE["timezone"])).date()
    advisors = demo_advisors(today)
    users = {a.user: a.password for a in advisors}
    radicale = start_radicale(data_dir / "radicale", users, host=host)  # first: the settings admit its address
    identity = start_oidc_provider(
        demo_identity_users(today), access_token_audience=DEMO_AUDIENCE, host=host, port=identity_port
    )
    setup_key = create_api_key("demo set-up", parse_grants(["administrator:*", "planner:*"]))
    participants_key = create_api_key("offers service (participants)", parse_grants(["planner:*"]))
    os.environ.update(
        demo_environment(data_dir, urlsplit(radicale.url).netloc, identity.issuer, setup_key, (participants_key,))
    )
    get_settings.cache_clear()
    settings = get_settings()

    from services.booking import consumer as booking_consumer
    from services.booking.app import create_app as booking_app
    from services.booking.db import migrate as migrate_booking
    from services.calendar_sync import consumer as sync_consumer
    from services.calendar_sync.celery_app import get_context as sync_context
    from services.calendar_sync.db import migrate as migrate_sync
    from services.calendar_sync.runtime import enqueue
    from services.offers import consumer as offers_consumer
    from services.offers.app import create_app as offers_app
    from services.offers.db import migrate as migrate_offers
    from services.offers.participants.booking_api import BookingApi
    from services.offers.participants.view import BOOKING_API

    for migrate, url in (
        (migrate_offers, settings.offers_database_url),
        (migrate_booking, settings.booking_database_url),
        (migrate_sync, settings.calendar_sync_database_url),
    ):
        migrate(url)

    stack = DemoStack(settings, "", "", radicale, users, identity, setup_key)
    stack._stoppers.append(radicale.stop)
    stack._stoppers.append(identity.stop)

    offers = offers_app(settings, start_relay=True)
    booking = booking_app(settings, start_relay=True)
    stack._stoppers.append(offers.extensions["planner"].close)
    stack._stoppers.append(booking.extensions["planner"].close)
    booking_ctx = booking.extensions["planner"]
    offers_ctx = offers.extensions["planner"]
    _consume(settings, "offers", lambda e: offers_consumer.handle(offers_ctx, e), stack)
    _consume(settings, "booking", lambda e: booking_consumer.handle(booking_ctx, e), stack)
    sync_context().start_relay_thread()
    stack._stoppers.append(sync_context().close)
    _consume(settings, "calendar_sync", lambda e: sync_consumer.handle(sync_context(), e), stack)
    _every(settings.sync_interval_seconds, lambda: enqueue(settings, "calendar_sync.resync_all"), stack)
    _send_mail(settings, booking_ctx.db, stack)

    stack.offers_url = _serve(offers, host, offers_port, stack)
    stack.booking_url = _serve(booking, host, booking_port, stack)
    timeout = settings.booking_api_timeout_seconds  # offers asks booking for the participants, over HTTP
    offers.extensions[BOOKING_API] = BookingApi(stack.booking_url, participants_key.key, timeout)
    stack.offer_ids, stack.group_offer_id = seed(offers, radicale, advisors, setup_key)
    stack.offers_app = offers
    seed_citizens(booking, setup_key)
    return stack


def _client(app: Any, key: NewApiKey) -> Any:
    """A client of ``app`` that calls with the set-up's API key, as IT's scripts do."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {key.key}"
    return client


def seed(offers_app: Any, radicale: RadicaleServer, advisors: list[Any], key: NewApiKey) -> tuple[list[str], str]:
    """Create the demo job centre, team, room, advisors with calendars, and offers: the
    individual offers' ids, and the group meeting's."""
    client = _client(offers_app, key)

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.post(f"/api/v1{path}", json=body)
        if response.status_code != 201:
            raise RuntimeError(f"demo seed {path}: {response.status_code} {response.get_data(as_text=True)}")
        return dict(response.get_json())

    centre = post("/job-centres", JOB_CENTRE)
    team = post("/teams", {**TEAM, "job_centre_id": centre["id"]})
    ids: dict[str, str] = {}
    for advisor in advisors:
        url = radicale.create_calendar(advisor.user, advisor.password, "arbejde")
        for event in advisor.events:
            radicale.put_event(advisor.user, advisor.password, url, event)
        ids[advisor.user] = post(
            "/advisors",
            {
                "job_centre_id": centre["id"],
                "team_ids": [team["id"]],
                "name": advisor.name,
                "email": advisor.email,
                "phone": advisor.phone,
                "working_hours": WORKING_HOURS,
                "caldav_url": url,
                "caldav_username": advisor.user,
                "caldav_password": advisor.password,
            },
        )["id"]
    today = datetime.now(ZoneInfo(JOB_CENTRE["timezone"])).date()
    bodies = demo_offers(today, ids, team["id"])
    offer_ids = [post("/offers", {**body, "job_centre_id": centre["id"]})["id"] for body in bodies]
    room = post("/rooms", {**ROOM, "job_centre_id": centre["id"]})
    group = post("/offers", {**demo_group_offer(today, ids, team["id"], room["id"]), "job_centre_id": centre["id"]})
    return offer_ids, group["id"]


def add_group_meetings(stack: DemoStack, offers_app: Any, timeout: float = 60) -> int:
    """Put two meetings into the demo's group meeting, on the first two days of the coming
    fortnight when both its advisors are free at 10:00 or later (their calendars must have
    been read: waits up to ``timeout``); returns how many were added."""
    client = _client(offers_app, stack.setup_key)
    offer = client.get(f"/api/v1/offers/{stack.group_offer_id}").get_json()
    today = datetime.now(ZoneInfo(JOB_CENTRE["timezone"])).date()
    query = {"advisor_id": offer["advisor_ids"], "first_date": (today + timedelta(days=2)).isoformat(),
             "last_date": (today + timedelta(days=16)).isoformat(), "duration_minutes": offer["duration_minutes"],
             "reporting_minutes": offer["reporting_minutes"], "start_minutes": [0]}  # fmt: skip
    deadline = time.monotonic() + timeout
    while True:
        times = client.get("/api/v1/group-meeting-times", query_string=query).get_json().get("times", [])
        if times or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    days: dict[str, str] = {}
    for slot in times:
        start = datetime.fromisoformat(slot["start"]).astimezone(ZoneInfo(JOB_CENTRE["timezone"]))
        if start.hour >= 10:
            days.setdefault(start.date().isoformat(), slot["start"])
    added = 0
    for start in list(days.values())[:2]:
        body = {"start": start, "extra_seats": GROUP_EXTRA_SEATS}
        response = client.post(f"/api/v1/offers/{stack.group_offer_id}/meetings", json=body)
        added += response.status_code == 201
    return added


def seed_citizens(booking_app: Any, key: NewApiKey) -> None:
    """Import the demo's fictitious citizens into booking (as IT would from the registry)."""
    today = datetime.now(ZoneInfo(JOB_CENTRE["timezone"])).date()
    response = _client(booking_app, key).post("/api/v1/citizens", json=demo_citizens(today))
    if response.status_code != 200:
        raise RuntimeError(f"demo seed /citizens: {response.status_code} {response.get_data(as_text=True)}")


def wait_for_times(stack: DemoStack, timeout: float = 60) -> int:
    """Wait until the booking API shows free times for the demo offers; returns how many."""
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = []
        for offer_id in stack.offer_ids:
            response = requests.get(f"{stack.booking_url}/api/v1/offers/{offer_id}/times", timeout=10)
            counts.append(len(response.json().get("times", [])) if response.status_code == 200 else 0)
        if counts and all(counts):
            return sum(counts)
        time.sleep(0.5)
    return 0


def run_demo(data_dir: Path, host: str, offers_port: int, booking_port: int, identity_port: int = 8003) -> None:
    """``planner demo``: start, print where to look, run until Ctrl-C."""
    print("Starter jobcenter-planner demo (SQLite, broker i processen, indbygget CalDAV og login) ...", flush=True)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the demo's new databases: no migration by migration
    stack = start_demo(data_dir, host, offers_port, booking_port, identity_port)
    found = wait_for_times(stack)
    meetings = add_group_meetings(stack, stack.offers_app)
    first = stack.offer_ids[0]
    today = datetime.now(ZoneInfo(JOB_CENTRE["timezone"])).date()
    citizens = "\n".join(
        f"      {login_name(str(c['name'])):<20} {c['name']:<16} CPR {c['cpr']}" for c in demo_citizens(today)
    )
    staff = "\n".join(
        f"      {m['sub']!s:<20} {m['name']!s:<20} ({', '.join(map(str, m['groups']))})" for m in demo_staff()
    )
    print(
        f"""
jobcenter-planner demo kører / is running ({found} ledige tider beregnet, {meetings} fællesmøder planlagt)

  Borgere (booking):          {stack.booking_url}/mine-moedetilbud   (mødetilbud, ledige tider, book en tid)
      log ind med "MitID":    {stack.booking_url}/login   (vælg en borger på login-siden)
{citizens}
      API:                    {stack.booking_url}/api/v1/offers
      ledige tider:           {stack.booking_url}/api/v1/offers/{first}/times
      OpenAPI:                {stack.booking_url}/docs
  Medarbejdere (offers):      {stack.offers_url}/tilbud   (tilbudsliste, tilbudsside med deltagere, Excel)
      opret tilbud:           {stack.offers_url}/tilbud/ny   (guiden i 4 trin; kladder gemmes)
      kalenderkonflikter:     {stack.offers_url}/kalenderkonflikter
      jobcentre, vejledere:   {stack.offers_url}/jobcentre   (Anne Administrator retter teams, vejledere m.m.)
      referencelister:        {stack.offers_url}/referencelister   (rettes af Niels National)
      skabeloner:             {stack.offers_url}/tilbud/skabeloner
      log ind:                {stack.offers_url}/login    (vælg en medarbejder på login-siden)
      OpenAPI:                {stack.offers_url}/docs
{staff}
  Login (OpenID Connect):     {stack.identity_provider.issuer}  (kun til demo: alle kan logge ind som alle)
  CalDAV (Radicale):          {stack.radicale.url}  brugere: {", ".join(f"{u}/{p}" for u, p in stack.users.items())}
  E-mail til borgere:         {stack.settings.mail_pickup_dir}  (bekræftelser, flytninger, aflysninger og
                              påmindelser som .eml-filer; åbn dem i et mailprogram)

  Opsætningens API-nøgle (administrator og planlægger i alle jobcentre):
    {stack.setup_key.key}

  Book en tid for en borger, som medarbejder med nøglen:
    curl -X POST {stack.booking_url}/api/v1/bookings -H 'Content-Type: application/json' \\
      -H 'Authorization: Bearer {stack.setup_key.key}' \\
      -d '{{"offer_id": "{first}", "start": "<en start fra listen>", "citizen": {{"cpr": "0101901234"}}}}'

Data ligger i {data_dir}. Stop med Ctrl-C.""",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("\nStopper ...", flush=True)
    finally:
        stack.stop()
