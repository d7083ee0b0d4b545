"""Danish for marshmallow's own messages, in every schema of both services (issue 15: an API
client of a Danish system never reads "Missing data for required field."). The 422 problem
document passes its messages through ``danish_errors``: each of marshmallow's English default
messages (templates such as "Longer than maximum length {max}." included) becomes its Danish
one; a message a schema or field writes itself (``services.offers.schemas``) stays as it is.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from marshmallow import Schema, fields, validate

INVALID: list[tuple[type[fields.Field], dict[str, str]]] = [
    (fields.Field, {"required": "Feltet skal udfyldes.", "null": "Feltet må ikke være tomt.",
                    "validator_failed": "Ugyldig værdi."}),
    (fields.String, {"invalid": "Skal være tekst.", "invalid_utf8": "Skal være gyldig UTF-8-tekst."}),
    (fields.Number, {"invalid": "Skal være et tal.", "too_large": "Tallet er for stort."}),
    (fields.Integer, {"invalid": "Skal være et helt tal."}),
    (fields.Float, {"special": "Skal være et endeligt tal."}),
    (fields.Boolean, {"invalid": "Skal være sand eller falsk (true/false)."}),
    (fields.Date, {"invalid": "Skal være en dato (ÅÅÅÅ-MM-DD), fx 2027-01-12."}),
    (fields.DateTime, {"invalid": "Skal være et tidspunkt, fx 2027-01-12T10:00:00+01:00."}),
    (fields.AwareDateTime, {"invalid_awareness": "Skal være et tidspunkt med tidszone, fx 2027-01-12T10:00:00+01:00."}),
    (fields.Time, {"invalid": "Skal være et klokkeslæt (TT:MM)."}),
    (fields.UUID, {"invalid_uuid": "Skal være et gyldigt id (UUID)."}),
    (fields.List, {"invalid": "Skal være en liste."}),
    (fields.Mapping, {"invalid": "Skal være et objekt."}),
    (fields.Nested, {"type": "Skal være et objekt."}),
    (fields.Email, {"invalid": "Skal være en gyldig e-mailadresse."}),
]  # fmt: skip
VALIDATORS: list[tuple[str, str]] = [
    (validate.Length.message_min, "Skal være mindst {min} tegn lang."),
    (validate.Length.message_max, "Må højst være {max} tegn lang."),
    (validate.Length.message_all, "Skal være mellem {min} og {max} tegn lang."),
    (validate.Length.message_equal, "Skal være {equal} tegn lang."),
    (validate.OneOf.default_message, "Skal være en af: {choices}."),
    (validate.Regexp.default_message, "Har ikke den form, feltet skal have."),
    (validate.Email.default_message, "Skal være en gyldig e-mailadresse."),
    (validate.URL.default_message, "Skal være en gyldig adresse (URL)."),
    (validate.Equal.default_message, "Skal være {other}."),
    (validate.ContainsOnly.default_message, "Et eller flere af valgene er ikke blandt: {choices}."),
    (validate.NoneOf.default_message, "Ugyldig værdi."),
]


def _english_defaults() -> Iterator[tuple[str, str]]:
    """(English template, Danish template) of each message marshmallow writes by itself."""
    for kind, messages in INVALID:
        for key, danish_text in messages.items():
            english = kind.default_error_messages.get(key)
            if english:  # "Not a valid {obj_type}." of the date and time fields, made concrete
                obj_type, awareness = getattr(kind, "OBJ_TYPE", ""), getattr(kind, "AWARENESS", "aware")
                yield english.replace("{obj_type}", obj_type).replace("{awareness}", awareness), danish_text
    yield Schema._default_error_messages["type"], "Forventede et JSON-objekt."
    yield Schema._default_error_messages["unknown"], "Ukendt felt."
    yield from VALIDATORS
    ops = {"min_op": "greater than or equal to", "max_op": "less than or equal to"}
    for name, danish_text in (("message_min", "Skal være mindst {min}."), ("message_max", "Skal være højst {max}."),
                              ("message_all", "Skal være mindst {min} og højst {max}.")):  # fmt: skip
        yield getattr(validate.Range, name).format(**ops), danish_text


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
    return re.compile(f"^{regex}$")


@functools.cache
def _translations() -> tuple[tuple[re.Pattern[str], str], ...]:
    # the most specific first: "Length must be between {min} and {max}." before "Length must be {equal}."
    pairs = sorted(_english_defaults(), key=lambda pair: -len(re.sub(r"\{\w+\}", "", pair[0])))
    return tuple((_pattern(english), danish_text) for english, danish_text in pairs)


def danish(message: str) -> str:
    """``message`` in Danish when it is one of marshmallow's English defaults, else as it is."""
    for pattern, danish_text in _translations():
        found = pattern.match(message)
        if found:
            return danish_text.format(**found.groupdict())
    return message


def danish_errors(node: Any) -> Any:
    """Every message of a (nested) errors document in Danish."""
    if isinstance(node, str):
        return danish(node)
    if isinstance(node, dict):
        return {key: danish_errors(value) for key, value in node.items()}
    if isinstance(node, list):
        return [danish_errors(value) for value in node]
    return node
