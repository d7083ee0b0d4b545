"""The offers API's problem documents are Danish, its checks of working hours and day
exceptions included, which quote no more of the caller's input than a short key."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.offers.conftest import Api
from tests.shared.test_danish_validation import assert_danish


def test_the_offers_api_answers_in_danish(client: FlaskClient, api: Api) -> None:
    centre = api.centre()
    long_key = "x" * 200
    body = {"working_hours": {long_key: [], "mon": [["10:00", "09:00"]]}}
    advisor = api.advisor(centre)
    hours = client.patch(f"/api/v1/advisors/{advisor['id']}", json=body)
    found = assert_danish(hours)
    assert "mon: 10:00 skal være før 09:00." in found and long_key not in str(found)
    days = client.patch(
        f"/api/v1/advisors/{advisor['id']}", json={"working_exceptions": {long_key: [], "2026-12-24": "fri"}}
    )
    found = assert_danish(days)
    assert any(m.endswith("er ikke en dato; skriv ÅÅÅÅ-MM-DD, fx 2026-12-23.") for m in found)
    assert "2026-12-24: skal være en liste af tidsrum." in found and long_key not in str(found)
    wrong = client.post("/api/v1/offers", json={"name": 5, "unknown": True})
    assert_danish(wrong)
