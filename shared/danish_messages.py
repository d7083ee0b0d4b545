"""Danish for marshmallow's own messages, in every schema of both services (issue 15: an API
client of a Danish system never reads "Missing data for required field.").

Two parts: ``use_danish_messages`` puts the Danish ones in marshmallow's class-level defaults
(when ``shared.web`` is imported), for the fields made after that; and ``danish`` turns any
English message marshmallow had by default into its Danish one, for the fields made before
(a schema module imported earlier), which the 422 problem document applies to every message.
A schema or field that writes its own message keeps it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from marshmallow import Schema, fields, validate

FIELD_MESSAGES: dict[str, str] = {
    "required": "Feltet skal udfyldes.",
    "null": "Feltet må ikke være tomt.",
    "validator_failed": "Ugyldig værdi.",
}
INVALID: list[tuple[type[fields.Field], dict[str, str]]] = [
    (fields.String, {"invalid": "Skal være tekst.", "invalid_utf8": "Skal være gyldig UTF-8-tekst."}),
    (fields.Number, {"invalid": "Skal være et tal.", "too_large": "Tallet er for stort."}),
    (fields.Integer, {"invalid": "Skal være et helt tal."}),
    (fields.Float, {"special": "Skal være et endeligt tal."}),
    (fields.Boolean, {"invalid": "Skal være sand eller falsk (true/false)."}),
    (fields.Date, {"invalid": "Skal være en dato (ÅÅÅÅ-MM-DD), fx 2027-01-12."}),
    (fields.DateTime, {"invalid": "Skal være et tidspunkt, fx 2027-01-12T10:00:00+01:00.",
                       "invalid_awareness": "Skal være et tidspunkt med tidszone, fx 2027-01-12T10:00:00+01:00."}),
    (fields.Time, {"invalid": "Skal være et klokkeslæt (TT:MM)."}),
    (fields.UUID, {"invalid_uuid": "Skal være et gyldigt id (UUID)."}),
    (fields.List, {"invalid": "Skal være en liste."}),
    (fields.Mapping, {"invalid": "Skal være et objekt."}),
    (fields.Nested, {"type": "Skal være et objekt."}),
    (fields.Email, {"invalid": "Skal være en gyldig e-mailadresse."}),
]  # fmt: skip


def use_danish_messages() -> None:
    """Put the Danish messages in marshmallow's defaults (idempotent; the English ones are
    kept for ``danish``, the first time)."""
    if not _TRANSLATIONS:
        pairs = sorted(_english_defaults(), key=lambda pair: pair[0].count("{"))  # exact ones first
        _TRANSLATIONS.extend((_pattern(english), text) for english, text in pairs)
    fields.Field.default_error_messages.update(FIELD_MESSAGES)
    for kind, messages in INVALID:
        kind.default_error_messages = {**kind.default_error_messages, **messages}
    Schema._default_error_messages = {"type": "Forventede et JSON-objekt.", "unknown": "Ukendt felt."}
    validate.Length.message_min = "Skal være mindst {min} tegn lang."
    validate.Length.message_max = "Må højst være {max} tegn lang."
    validate.Length.message_all = "Skal være mellem {min} og {max} tegn lang."
    validate.Length.message_equal = "Skal være {equal} tegn lang."
    validate.Range.message_gte, validate.Range.message_gt = "mindst", "større end"
    validate.Range.message_lte, validate.Range.message_lt = "højst", "mindre end"
    validate.Range.message_min = "Skal være {min_op} {{min}}."
    validate.Range.message_max = "Skal være {max_op} {{max}}."
    validate.Range.message_all = "Skal være {min_op} {{min}} og {max_op} {{max}}."
    validate.OneOf.default_message = "Skal være en af: {choices}."
    validate.Regexp.default_message = "Har ikke den form, feltet skal have."
    validate.Email.default_message = "Skal være en gyldig e-mailadresse."
    validate.URL.default_message = "Skal være en gyldig adresse (URL)."
    validate.Equal.default_message = "Skal være {other}."
    validate.ContainsOnly.default_message = "Et eller flere af valgene er ikke blandt: {choices}."
    validate.NoneOf.default_message = "Ugyldig værdi."


def _english_defaults() -> Iterator[tuple[str, str]]:
    """(English template, Danish template) of every message ``use_danish_messages`` changes,
    read before it changes them."""
    for key, danish_text in FIELD_MESSAGES.items():
        yield fields.Field.default_error_messages[key], danish_text
    for kind, messages in INVALID:
        for key, danish_text in messages.items():
            english = kind.default_error_messages.get(key)
            if english:  # "Not a valid {obj_type}." of the date and time fields, made concrete
                obj_type, awareness = getattr(kind, "OBJ_TYPE", ""), getattr(kind, "AWARENESS", "aware")
                yield english.replace("{obj_type}", obj_type).replace("{awareness}", awareness), danish_text
    for key, danish_text in (("type", "Forventede et JSON-objekt."), ("unknown", "Ukendt felt.")):
        yield Schema._default_error_messages[key], danish_text
    for name, danish_text in (("message_min", "Skal være mindst {min} tegn lang."),
                              ("message_max", "Må højst være {max} tegn lang."),
                              ("message_all", "Skal være mellem {min} og {max} tegn lang."),
                              ("message_equal", "Skal være {equal} tegn lang.")):  # fmt: skip
        yield getattr(validate.Length, name), danish_text
    ops = {"min_op": "greater than or equal to", "max_op": "less than or equal to"}
    for name, danish_text in (("message_min", "Skal være mindst {min}."), ("message_max", "Skal være højst {max}."),
                              ("message_all", "Skal være mindst {min} og højst {max}.")):  # fmt: skip
        yield getattr(validate.Range, name).format(**ops), danish_text
    yield validate.OneOf.default_message, "Skal være en af: {choices}."
    yield validate.Regexp.default_message, "Har ikke den form, feltet skal have."


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
    return re.compile(f"^{regex}$")


_TRANSLATIONS: list[tuple[re.Pattern[str], str]] = []


def danish(message: str) -> str:
    """``message`` in Danish when it is one of marshmallow's English defaults, else as it is."""
    for pattern, danish_text in _TRANSLATIONS:
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
