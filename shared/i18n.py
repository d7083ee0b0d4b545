"""Danish first, English second: the message catalogue of the pages, without Flask. Pure.

Danish is the source language: every msgid is the Danish text itself, so a Danish page, an
e-mail and the JSON API's problem documents say exactly what they said before there was an
English catalogue. ``translate`` turns one of our Danish messages into ``locale``'s words.

- ``N_("...")`` marks a Danish message for extraction and returns it unchanged (an
  exception's ``detail``, a constant); a page translates it when it shows it.
- ``N_("... %(date)s ...", date=day)`` is a message with values: a ``str`` whose value is
  the Danish text (dates written ``08.12.2026`` as before), which also keeps its msgid and
  values so a page can say it in English ("8 December 2026"). ``nN_`` is its plural.
- ``translations(locale)`` is the catalogue of ``locale`` (nothing to look up for Danish),
  for code that builds page texts with an explicit locale (``gettext``/``ngettext``).

The catalogue is ``shared/pages/translations`` (``messages.pot``, ``en/LC_MESSAGES/messages.po``
and the compiled ``.mo``); ``babel.cfg`` at the repository root says what is extracted:

    pybabel extract -F babel.cfg -k lazy_gettext -k nN_:1,2 --no-location --sort-output \
        --project=jobcenter-planner --copyright-holder=jobcenter-planner -o shared/pages/translations/messages.pot .
    pybabel update -i shared/pages/translations/messages.pot -d shared/pages/translations -N --ignore-obsolete -w 120
    (write the English of each new msgid in en/LC_MESSAGES/messages.po; plain UK English, GOV.UK style)
    pybabel compile -d shared/pages/translations

``tests/pages/test_english.py`` fails when a message has no English or the ``.mo`` is stale.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import support

DANISH = "da"
ENGLISH = "en"
LOCALES = (DANISH, ENGLISH)
CATALOGUE = Path(__file__).parent / "pages" / "translations"
DOMAIN = "messages"
KEYWORDS = {"lazy_gettext": None, "nN_": (1, 2)}
"""The extraction keywords beyond babel's own (``_``, ``gettext``, ``ngettext``, ``N_``)."""
ENGLISH_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


class Text(str):
    """A Danish message with values (see the module): equal to its Danish text."""

    msgid: str
    plural: str | None
    values: dict[str, Any]

    def __new__(cls, msgid: str, plural: str | None = None, /, **values: Any) -> Text:
        count = values.get("num")
        chosen = plural if plural is not None and count != 1 else msgid
        text = super().__new__(cls, chosen % _formatted(values, DANISH))
        text.msgid, text.plural, text.values = msgid, plural, values
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        return (str, (str(self),))


def N_(msgid: str, /, **values: Any) -> str:
    """``msgid`` marked for the catalogue; with ``values``, a ``Text``."""
    return Text(msgid, **values) if values else msgid


def nN_(singular: str, plural: str, num: int, /, **values: Any) -> Text:
    """A ``Text`` in the singular or the plural by ``num`` (``%(num)s`` in the texts)."""
    return Text(singular, plural, num=num, **values)


def _formatted(values: dict[str, Any], locale: str) -> dict[str, Any]:
    return {name: _value(value, locale) for name, value in values.items()}


def _value(value: Any, locale: str) -> Any:
    """A date the way the messages have always written it in Danish (``08.12.2026``), or
    the English way (``8 December 2026``)."""
    if isinstance(value, date):
        if locale == DANISH:
            return f"{value:%d.%m.%Y}"
        return f"{value.day} {ENGLISH_MONTHS[value.month - 1]} {value.year}"
    return value


@lru_cache(maxsize=len(LOCALES))
def _load(locale: str) -> support.NullTranslations:
    return support.Translations.load(str(CATALOGUE), [locale], DOMAIN)


def translations(locale: str) -> support.NullTranslations:
    """The catalogue of ``locale``: Danish needs none (the msgids are Danish)."""
    return support.NullTranslations() if locale == DANISH else _load(locale)


def translate(message: str, locale: str) -> str:
    """``message`` (one of our Danish texts, or a ``Text``) in ``locale``; a text the
    catalogue does not know stays Danish (see ``is_translated``)."""
    if locale == DANISH:
        return str(message)
    catalogue = translations(locale)
    if isinstance(message, Text):
        if message.plural is not None:
            found = catalogue.ngettext(message.msgid, message.plural, message.values.get("num", 0))
        else:
            found = catalogue.gettext(message.msgid)
        return found % _formatted(message.values, locale)
    return catalogue.gettext(str(message))


def is_translated(message: str, locale: str) -> bool:
    """Whether the catalogue of ``locale`` has ``message`` (Danish always has)."""
    if locale == DANISH:
        return True
    catalogue = translations(locale)
    if isinstance(message, Text):
        if message.plural is not None:
            return bool(catalogue.ngettext(message.msgid, message.plural, 1) != message.msgid)
        return bool(catalogue.gettext(message.msgid) != message.msgid)
    return bool(catalogue.gettext(str(message)) != str(message))
