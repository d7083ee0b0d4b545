"""Errors are problem documents, and the OpenAPI document says so; the /docs page needs
no internet access (``shared.web``)."""

from __future__ import annotations

import re
from typing import Any

from apiflask import APIFlask, Schema, fields

from shared.web import PROBLEM_JSON, install_docs_assets, install_error_handling


class ThingIn(Schema):
    count = fields.Integer(required=True)


def make_app() -> APIFlask:
    app = APIFlask(__name__)
    install_error_handling(app, lambda spec: {**spec, "x-extra": True})
    install_docs_assets(app)

    @app.post("/things")
    @app.input(ThingIn, arg_name="body")
    def add_thing(body: dict[str, Any]) -> dict[str, Any]:
        return body

    @app.get("/things/<int:thing_id>")
    def get_thing(thing_id: int) -> dict[str, Any]:
        return {"count": thing_id}

    return app


def test_every_error_response_is_documented_as_a_problem_document() -> None:
    app = make_app()
    spec = app.test_client().get("/openapi.json").get_json()

    post = spec["paths"]["/things"]["post"]["responses"]
    assert set(post) >= {"200", "400", "422"}
    for status in ("400", "422"):
        assert list(post[status]["content"]) == [PROBLEM_JSON]
        assert post[status]["content"][PROBLEM_JSON]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert "Problem" in spec["components"]["schemas"]
    assert spec["x-extra"] is True  # the app's own processor still runs


def test_what_the_document_promises_is_what_the_api_answers() -> None:
    client = make_app().test_client()

    unreadable = client.post("/things", data="{count", content_type="application/json")
    invalid = client.post("/things", json={"count": "many"})

    assert unreadable.status_code == 400 and unreadable.content_type.startswith(PROBLEM_JSON)
    assert invalid.status_code == 422 and invalid.content_type.startswith(PROBLEM_JSON)
    assert invalid.get_json()["errors"] == {"count": ["Skal være et helt tal."]}  # in Danish


def test_the_docs_page_loads_swagger_ui_from_the_service_itself() -> None:
    client = make_app().test_client()
    page = client.get("/docs").get_data(as_text=True)

    assets = re.findall(r'(?:href|src)="([^"]+\.(?:css|js))"', page)
    assert len(assets) == 3 and all(a.startswith("/docs/assets/") for a in assets), assets
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200 and len(response.data) > 1000, asset
    assert not [path for path in client.get("/openapi.json").get_json()["paths"] if path.startswith("/docs")]
