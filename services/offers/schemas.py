"""The Danish field helpers every feature package's ``schemas`` module builds on
(``admin``, ``offers``, ``rules``, ``calendars``); together they make /openapi.json complete.

Schemas check only the shape of a request (types, required fields) with Danish messages;
the rules of the domain are checked by the operations, so they hold for every caller.
"""

from __future__ import annotations

from typing import Any

from apiflask import Schema, fields
from marshmallow.fields import Field

_MESSAGES: dict[type[Field], str] = {
    fields.Integer: "Skal være et helt tal.",
    fields.Boolean: "Skal være sand eller falsk (true/false).",
    fields.Date: "Skal være en dato (ÅÅÅÅ-MM-DD).",
    fields.AwareDateTime: "Skal være et tidspunkt med tidszone, fx 2027-01-12T10:00:00+01:00.",
    fields.List: "Skal være en liste.",
    fields.Dict: "Skal være et objekt.",
    fields.String: "Skal være tekst.",
}


def _danish(field: Field) -> None:
    messages = field.error_messages
    messages.update(required="Feltet skal udfyldes.", null="Feltet må ikke være tomt.")
    messages.update(validator_failed="Ugyldig værdi.", invalid_uuid="Skal være et gyldigt id (UUID).")
    messages.update(too_large="Tallet er for stort.", invalid_utf8="Skal være gyldig UTF-8-tekst.")
    for kind, message in _MESSAGES.items():
        if isinstance(field, kind):
            messages["invalid"] = message
            break
    if isinstance(field, fields.AwareDateTime):
        messages["invalid_awareness"] = _MESSAGES[fields.AwareDateTime]
    if isinstance(field, fields.List):
        _danish(field.inner)


class DanishSchema(Schema):
    """Unknown fields are refused; every message is Danish."""

    error_messages = {"unknown": "Ukendt felt.", "type": "Forventede et JSON-objekt."}  # noqa: RUF012

    def on_bind_field(self, field_name: str, field_obj: Field) -> None:
        _danish(field_obj)


def text_field(description: str, *, required: bool = False, max_length: int | None = None, **kw: Any) -> fields.String:
    meta: dict[str, Any] = {"description": description}
    if max_length:
        meta["maxLength"] = max_length
    return fields.String(required=required, allow_none=not required, metadata=meta, **kw)


def int_field(description: str, *, required: bool = False, minimum: int | None = None, **kw: Any) -> fields.Integer:
    meta: dict[str, Any] = {"description": description}
    if minimum is not None:
        meta["minimum"] = minimum
    return fields.Integer(strict=True, required=required, allow_none=not required, metadata=meta, **kw)


def id_field(description: str, *, required: bool = False) -> fields.UUID:
    return fields.UUID(required=required, allow_none=not required, metadata={"description": description})


def date_field(description: str, *, required: bool = False) -> fields.Date:
    return fields.Date(required=required, allow_none=not required, metadata={"description": description})
