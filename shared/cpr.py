"""CPR numbers (Danish personal identification numbers). Pure.

DDMMYY-SSSS. The century follows from the 7th digit and YY (DOMAIN.md):
0-3 -> 1900s; 4 or 9 -> 2000s when YY <= 36, else 1900s; 5-8 -> 2000s when YY <= 57,
else 1800s. Modulus 11 is not required: numbers without it are issued since 2007.
A CPR number is confidential: ``Cpr`` never shows its digits in ``repr`` or ``str``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

_CPR = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{2})-?([0-9]{4})")  # ASCII digits only
FIRST_BIRTH_YEAR = 1858
LAST_BIRTH_YEAR = 2057


class InvalidCpr(ValueError):
    """Not a CPR number; the message is Danish and never repeats the digits."""


def birth_century(seventh_digit: int, yy: int) -> int:
    """1800, 1900 or 2000 from the first digit of the serial number and the two-digit year."""
    if seventh_digit <= 3:
        return 1900
    if seventh_digit in (4, 9):
        return 2000 if yy <= 36 else 1900
    return 2000 if yy <= 57 else 1800


@dataclass(frozen=True, slots=True)
class Cpr:
    """A checked CPR number: ``digits`` are the ten digits without a hyphen."""

    digits: str = field(repr=False)
    birth_date: date

    @property
    def is_woman(self) -> bool:
        return int(self.digits[-1]) % 2 == 0

    def age_on(self, day: date) -> int:
        """Completed years on ``day`` (a person born 29 February turns a year older on 1 March)."""
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    def masked(self) -> str:
        return f"{self.digits[:6]}-XXXX"

    def __str__(self) -> str:
        return "CPR(skjult)"


def parse_cpr(text: str) -> Cpr:
    """Check ``text`` as a CPR number (with or without the hyphen) and return it.

    The first six digits must be a real date in the century the serial number gives, so
    births run from 1858 to 2057; 29 February only in leap years. Modulus 11 is not checked.
    """
    if not isinstance(text, str):
        raise InvalidCpr("CPR-nummeret skal angives som tekst (DDMMÅÅ-XXXX).")
    match = _CPR.fullmatch(text.strip())
    if not match:
        raise InvalidCpr("CPR-nummeret skal have 10 cifre (DDMMÅÅ-XXXX).")
    dd, mm, yy, serial = match.groups()
    year = birth_century(int(serial[0]), int(yy)) + int(yy)
    try:
        born = date(year, int(mm), int(dd))
    except ValueError as exc:
        raise InvalidCpr("CPR-nummeret begynder ikke med en gyldig fødselsdato.") from exc
    return Cpr(digits=f"{dd}{mm}{yy}{serial}", birth_date=born)


def modulus11_ok(digits: str) -> bool:
    """The old check-digit rule; informative only (not required since 2007)."""
    weights = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0
