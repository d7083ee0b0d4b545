"""Citizen profiles come from the booking store (imported from JSON or CSV, by API or command)
or from an external registry over HTTP; every lookup of a CPR number is logged in the
database, never in the Python logs or a URL."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from services.booking.commands import import_citizens
from services.booking.models import CitizenProfileRow, CprAccessLog
from tests.booking.conftest import TOMORROW, BookingService, at, citizen_profile, fictitious_cpr
from tests.booking.test_eligibility import ids, one_group
from tests.identities import IT_KEY


def profiles(service: BookingService) -> dict[str, CitizenProfileRow]:
    with service.context.db.transaction() as session:
        return {service.vault.unseal(row.cpr_sealed).digits: row for row in session.scalars(select(CitizenProfileRow))}


def access_log(service: BookingService) -> list[tuple[str, str, str, str]]:
    with service.context.db.transaction() as session:
        rows = session.scalars(select(CprAccessLog).order_by(CprAccessLog.id))
        return [(r.actor, r.purpose, service.vault.unseal(r.subject_cpr_sealed).digits, r.route) for r in rows]


def test_a_json_import_creates_and_replaces_profiles(service: BookingService) -> None:
    body = [
        citizen_profile(40, assessment_group="jobparat", person_group_markers=["STAT-UNGE"], in_activation="ja"),
        citizen_profile(1, contact_group="Sygedagpengemodtager", sick_pay_category=2, booking_deadline="2026-12-20"),
    ]
    response = service.client().post("/api/v1/citizens", json=body)

    assert response.status_code == 200 and response.get_json() == {"created": 1, "replaced": 1}
    stored = profiles(service)
    new, changed = stored[fictitious_cpr(40)], stored[fictitious_cpr(1)]
    assert (new.assessment_group, new.person_group_markers, new.in_activation) == ("Jobparat", ["STAT-UNGE"], True)
    assert (changed.contact_group, changed.sick_pay_category) == ("Sygedagpengemodtager", "2")
    assert str(changed.booking_deadline) == "2026-12-20"
    assert "cpr" not in response.get_data(as_text=True).lower()


def test_an_import_with_problems_stores_nothing_and_names_each(service: BookingService) -> None:
    before = profiles(service)
    body = [
        citizen_profile(41, contact_group="Pensionist"),
        {"name": "Uden CPR", "contact_group": "Dagpengemodtager"},
        citizen_profile(42, registration_date="01-12-2026", shoe_size=42),
        citizen_profile(43),
        citizen_profile(43),
        {**citizen_profile(44), "cpr": "3213904000"},
    ]
    response = service.client().post("/api/v1/citizens", json=body)

    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    found = [(p["path"], p["code"]) for p in response.get_json()["errors"]["citizens"]]
    assert found == [
        ("/0/contact_group", "unknown_value"),
        ("/2/shoe_size", "unknown_field"),
        ("/2/registration_date", "invalid_date"),
        ("/5/cpr", "invalid_cpr"),
    ]
    assert "3213904000" not in response.get_data(as_text=True)
    assert profiles(service).keys() == before.keys()
    # Once the rows themselves are valid, a missing or repeated CPR number is named too.
    again = service.client().post("/api/v1/citizens", json=[body[1], body[3], body[4]])
    codes = [(p["path"], p["code"]) for p in again.get_json()["errors"]["citizens"]]
    assert codes == [("/0/cpr", "missing_field"), ("/2/cpr", "duplicate")]


def test_csv_import_by_api_and_by_command(service: BookingService, tmp_path: Path, process_cpr_keys: None) -> None:
    csv = (
        "cpr;name;contact_group;person_group_markers;in_activation;last_meeting_date\n"
        f"{fictitious_cpr(45)};Borger 45;Kontanthjælpsmodtager;STAT-UNGE;STAT-SENIOR;nej;2026-12-31\n"
    )
    # A ';' inside a list column needs quoting; this row has one marker too many columns.
    response = service.client().post("/api/v1/citizens", data=csv, content_type="text/csv")
    assert response.status_code == 422 and response.get_json()["errors"]["citizens"][0]["code"] == "too_many_cells"

    good = csv.replace("STAT-UNGE;STAT-SENIOR", '"STAT-UNGE;STAT-SENIOR"')
    response = service.client().post("/api/v1/citizens", data=good, content_type="text/csv")
    assert response.status_code == 200 and response.get_json() == {"created": 1, "replaced": 0}
    assert profiles(service)[fictitious_cpr(45)].person_group_markers == ["STAT-SENIOR", "STAT-UNGE"]

    file = tmp_path / "borgere.csv"
    file.write_text(good.replace(fictitious_cpr(45), fictitious_cpr(46)), encoding="utf-8")
    url = service.context.db.url
    result = CliRunner().invoke(import_citizens, [str(file), "--database-url", url])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"created": 1, "replaced": 0}
    assert profiles(service)[fictitious_cpr(46)].contact_group == "Kontanthjælpsmodtager"

    bad = tmp_path / "borgere.json"
    bad.write_text(json.dumps([citizen_profile(47, contact_group="Pensionist")]), encoding="utf-8")
    result = CliRunner().invoke(import_citizens, [str(bad), "--database-url", url])
    assert result.exit_code == 2
    assert json.loads(result.output)["problems"][0]["path"] == "/0/contact_group"
    assert fictitious_cpr(47) not in profiles(service)


def test_a_contact_group_an_offer_uses_is_importable(service: BookingService) -> None:
    reform = {"contact_group": "Selvforsørgelsesydelsesmodtager"}
    assert service.client().post("/api/v1/citizens", json=[citizen_profile(48, **reform)]).status_code == 422
    offer = service.publish_offer(rules=one_group(("contact_group", "eq", "Selvforsørgelsesydelsesmodtager")))
    service.add_citizens(48, **reform)
    assert ids(service.eligible(48)) == [offer.offer_id]


def test_every_lookup_is_logged_with_the_authenticated_actor_purpose_and_route(service: BookingService) -> None:
    offer = service.publish_offer()
    advisor = offer.advisor_ids[0]
    service.compute(offer.offer_id, {advisor: [at(TOMORROW, 9)]})
    it = f"machine:apikey:{IT_KEY.stored.key_id}"

    service.eligible(0)
    service.citizen_times(offer.offer_id, 1)
    body = {"offer_id": offer.offer_id, "start": at(TOMORROW, 9).isoformat(), "citizen": {"cpr": fictitious_cpr(2)}}
    # a header naming someone else no longer names the actor: the credential does
    response = service.client().post("/api/v1/bookings", json=body, headers={"X-Planner-Staff": "vejleder-3"})
    assert response.status_code == 201
    service.eligible(99)  # unknown, but looked up
    service.client().post("/api/v1/eligible-offers", json={"citizen": {"cpr": "123"}})  # not a CPR number

    assert access_log(service) == [
        (it, "eligible_offers", fictitious_cpr(0), "/api/v1/eligible-offers"),
        (it, "times", fictitious_cpr(1), "/api/v1/offers/<uuid:offer_id>/times"),
        (it, "booking", fictitious_cpr(2), "/api/v1/bookings"),
        (it, "eligible_offers", fictitious_cpr(99), "/api/v1/eligible-offers"),
    ]


def test_no_cpr_number_in_logs_urls_or_answers(service: BookingService, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    offer = service.publish_offer(rules=one_group(("age", "lt", 30)))
    advisor = offer.advisor_ids[0]
    service.compute(offer.offer_id, {advisor: [at(TOMORROW, 9)]})
    answers = [
        service.eligible(5),
        service.citizen_times(offer.offer_id, 5),
        service.book(offer.offer_id, at(TOMORROW, 9), n=5, advisor_id=advisor),
        service.eligible(99),
        service.client().post("/api/v1/citizens", json=[citizen_profile(6, contact_group="Pensionist")]),
    ]
    assert [a.status_code for a in answers] == [200, 403, 403, 403, 422]
    for n in (5, 6, 99):
        assert fictitious_cpr(n) not in caplog.text
        assert all(fictitious_cpr(n) not in a.get_data(as_text=True) for a in answers)
    spec = service.client().get("/openapi.json").get_json()
    for path, operations in spec["paths"].items():
        assert "cpr" not in path.lower()
        for operation in operations.values():
            assert all("cpr" not in p["name"].lower() for p in operation.get("parameters", [])), path
