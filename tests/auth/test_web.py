"""Every request is authenticated before its route runs, and routes check the job centre
(``shared.auth.web``): shown on a small app with the same parts as the services."""

from __future__ import annotations

from typing import Any

import pytest
from apiflask import APIFlask, Schema, fields
from flask.testing import FlaskClient

from services.demo.oidc_provider import EmbeddedOidcProvider
from shared.auth.access import Action
from shared.auth.api_keys import create_api_key, parse_api_keys
from shared.auth.grants import parse_grants
from shared.auth.web import (
    Authenticator,
    actor_id,
    authorize,
    authorize_everywhere,
    current_credential,
    document_access,
    install_authentication,
    job_centres_allowed,
    public,
    require_principal,
    requires,
)
from shared.web import install_error_handling
from tests.auth.conftest import API_AUDIENCE, GROUP_ROLES
from tests.conftest import make_settings
from tests.identities import api_keys_setting, bearer
from tests.login import tokens_for

X, Y = "10101", "20202"
PLANNER_X = create_api_key("planner X", parse_grants([f"planner:{X}"]))
READER_X = create_api_key("reader X", parse_grants([f"reader:{X}"]))
IT = create_api_key("IT", parse_grants(["administrator:*", "planner:*"]))
NOBODY = create_api_key("no roles", frozenset())


class CountIn(Schema):
    count = fields.Integer(required=True)


def make_app(authenticator: Authenticator) -> APIFlask:
    app = APIFlask(__name__)
    install_error_handling(app, document_access(app))
    install_authentication(app, authenticator)

    @app.get("/listing")
    @public
    def listing() -> dict[str, Any]:
        return {"items": []}

    @app.get("/centres/<code>/offers")
    @requires(Action.READ_OFFERS)
    def centre_offers(code: str) -> dict[str, Any]:
        principal = authorize(Action.READ_OFFERS, code)
        return {"actor": actor_id(principal), "credential": str(current_credential())}

    @app.post("/centres/<code>/offers")
    @app.input(CountIn, arg_name="body")
    @requires(Action.WRITE_OFFERS)
    def add_offer(code: str, body: dict[str, Any]) -> dict[str, Any]:
        authorize(Action.WRITE_OFFERS, code)
        return body

    @app.get("/visible-centres")
    @requires(Action.READ_OFFERS)
    def visible_centres() -> dict[str, Any]:
        allowed = job_centres_allowed(Action.READ_OFFERS)
        return {"centres": "all" if allowed is None else sorted(allowed)}

    @app.put("/reference")
    @requires(Action.WRITE_ADMIN_DATA)
    def replace_reference() -> dict[str, Any]:
        return {"actor": actor_id(authorize_everywhere(Action.WRITE_ADMIN_DATA))}

    @app.get("/forgotten")
    def forgotten() -> dict[str, Any]:
        return {"secret": require_principal() is not None}

    return app


@pytest.fixture
def client() -> FlaskClient:
    keys = parse_api_keys(api_keys_setting(PLANNER_X, READER_X, IT, NOBODY))
    return make_app(Authenticator(api_keys=keys)).test_client()


def test_anonymous_callers_reach_only_public_routes_and_are_told_to_log_in(client: FlaskClient) -> None:
    assert client.get("/listing").status_code == 200
    refused = client.get(f"/centres/{X}/offers")
    assert refused.status_code == 401
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["detail"] == "Log ind for at fortsætte."
    assert refused.headers["WWW-Authenticate"].startswith("Bearer ")


def test_an_identity_is_checked_before_the_body_is_read(client: FlaskClient) -> None:
    """An anonymous caller learns nothing from validation errors."""
    assert client.post(f"/centres/{X}/offers", json={"count": "many"}).status_code == 401
    assert client.post(f"/centres/{X}/offers", json={"count": "many"}, headers=bearer(PLANNER_X)).status_code == 422


def test_a_bad_credential_is_refused_even_on_a_public_route(client: FlaskClient) -> None:
    forged = PLANNER_X.key[:-4] + "AAAA"
    for headers in ({"Authorization": f"Bearer {forged}"}, {"Authorization": "Basic dXNlcjpwdw=="}):
        response = client.get("/listing", headers=headers)
        assert response.status_code == 401
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
        assert forged not in response.get_data(as_text=True)


def test_bearer_tokens_are_refused_where_no_audience_is_configured(client: FlaskClient) -> None:
    response = client.get("/listing", headers={"Authorization": "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln"})
    assert response.status_code == 401


def test_another_centres_resource_is_not_found_and_a_read_only_role_is_forbidden(client: FlaskClient) -> None:
    mine = client.get(f"/centres/{X}/offers", headers=bearer(PLANNER_X))
    assert mine.status_code == 200
    assert mine.get_json() == {"actor": f"machine:apikey:{PLANNER_X.stored.key_id}", "credential": "api key"}
    other = client.get(f"/centres/{Y}/offers", headers=bearer(PLANNER_X))
    assert other.status_code == 404
    assert client.post(f"/centres/{Y}/offers", json={"count": 1}, headers=bearer(PLANNER_X)).status_code == 404
    assert client.post(f"/centres/{X}/offers", json={"count": 1}, headers=bearer(PLANNER_X)).status_code == 200
    read_only = client.post(f"/centres/{X}/offers", json={"count": 1}, headers=bearer(READER_X))
    assert read_only.status_code == 403
    assert read_only.get_json()["code"] == "not_allowed"
    # A reader may write nowhere: refused before the route looks at the centre, so the same
    # answer for every id, which reveals nothing.
    assert client.post(f"/centres/{Y}/offers", json={"count": 1}, headers=bearer(READER_X)).status_code == 403


def test_an_identity_without_any_role_is_forbidden_on_every_staff_route(client: FlaskClient) -> None:
    assert client.get(f"/centres/{X}/offers", headers=bearer(NOBODY)).status_code == 403
    assert client.get("/visible-centres", headers=bearer(NOBODY)).status_code == 403


def test_lists_are_limited_to_the_centres_the_caller_may_read(client: FlaskClient) -> None:
    assert client.get("/visible-centres", headers=bearer(READER_X)).get_json() == {"centres": [X]}
    assert client.get("/visible-centres", headers=bearer(IT)).get_json() == {"centres": "all"}


def test_lists_of_no_one_centre_need_the_role_at_every_centre(client: FlaskClient) -> None:
    assert client.put("/reference", headers=bearer(IT)).status_code == 200
    admin_x = client.put("/reference", headers=bearer(PLANNER_X))
    assert admin_x.status_code == 403


def test_a_route_without_an_access_mark_answers_no_one(client: FlaskClient) -> None:
    assert client.get("/forgotten").status_code == 403
    assert client.get("/forgotten", headers=bearer(IT)).status_code == 403


def test_the_openapi_document_says_which_operations_need_which_identity(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    assert set(spec["components"]["securitySchemes"]) == {"bearer", "session"}
    assert spec["paths"]["/listing"]["get"]["security"] == []
    write = spec["paths"]["/centres/{code}/offers"]["post"]
    assert write["x-planner-actions"] == ["write offers"]
    assert {"bearer": []} in write["security"]
    assert {"401", "403"} <= set(write["responses"])


def test_a_staff_members_access_token_carries_the_roles_of_their_groups(
    oidc_provider: EmbeddedOidcProvider,
) -> None:
    settings = make_settings(
        staff_oidc_issuer=oidc_provider.issuer,
        staff_oidc_client_id="planner-staff",
        staff_group_roles=GROUP_ROLES,
        token_audience=API_AUDIENCE,
    )
    client = make_app(Authenticator.from_settings(settings)).test_client()
    token = tokens_for(oidc_provider, "staff-pia", client_id="planner-staff")["access_token"]
    # Pia is planner at X and reader at Y (her groups); her ID token is no access token.
    assert client.get(f"/centres/{X}/offers", headers=bearer(token)).get_json() == {
        "actor": "staff:staff-pia",
        "credential": "bearer token",
    }
    assert client.post(f"/centres/{Y}/offers", json={"count": 1}, headers=bearer(token)).status_code == 403
    id_token = tokens_for(oidc_provider, "staff-pia", client_id="planner-staff")["id_token"]
    assert client.get(f"/centres/{X}/offers", headers=bearer(id_token)).status_code == 401
