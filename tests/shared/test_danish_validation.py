"""Every message a client of either API reads is Danish: marshmallow's own messages (missing,
null, wrong type, unknown field, length, range, choice) and the offers service's checks of
working hours and day exceptions, which also never quote more of the caller's input than a
short key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from marshmallow import Schema, fields, validate

from shared.danish_messages import danish_errors

ENGLISH = ("Missing data", "may not be null", "Not a valid", "Unknown field", "Invalid input", "Longer than",
           "Shorter than", "Must be", "Length must", "is not a", "Invalid type", "Invalid value", "give a list",
           "must be before", "overlap")  # fmt: skip


def messages(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from messages(value)
    elif isinstance(node, list):
        for value in node:
            yield from messages(value)


def assert_danish(answer: Any) -> list[str]:
    assert answer.status_code == 422, answer.get_json()
    body = answer.get_json()
    found = [body["detail"], *messages(body.get("errors", {}))]
    english = [m for m in found if any(marker in m for marker in ENGLISH)]
    assert not english, english
    return found


def test_marshmallows_own_messages_are_danish() -> None:
    class Example(Schema):
        name = fields.String(required=True, validate=validate.Length(min=2, max=5))
        count = fields.Integer(validate=validate.Range(min=1))
        kind = fields.String(validate=validate.OneOf(["a", "b"]))
        day = fields.Date(allow_none=False)

    errors = danish_errors(Example().validate({"name": "abcdefg", "count": 0, "kind": "c", "day": None, "other": 1}))
    assert errors == {
        "name": ["Skal være mellem 2 og 5 tegn lang."],
        "count": ["Skal være mindst 1."],
        "kind": ["Skal være en af: a, b."],
        "day": ["Feltet må ikke være tomt."],
        "other": ["Ukendt felt."],
    }
    assert danish_errors(Example().validate({})) == {"name": ["Feltet skal udfyldes."]}
    assert danish_errors({"x": ["Skrevet af skemaet selv."]}) == {"x": ["Skrevet af skemaet selv."]}
