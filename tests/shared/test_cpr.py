"""CPR numbers: the century rule from 1858 to 2057, real dates only, modulus 11 not required."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.cpr import FIRST_BIRTH_YEAR, LAST_BIRTH_YEAR, InvalidCpr, birth_century, modulus11_ok, parse_cpr


@pytest.mark.parametrize(
    ("text", "born"),
    [
        ("010158-5000", date(1858, 1, 1)),  # 5-8 and YY > 57: 1800s (the earliest possible)
        ("311299-8999", date(1899, 12, 31)),
        ("010100-0000", date(1900, 1, 1)),  # 0-3: always 1900s
        ("311299-3999", date(1999, 12, 31)),
        ("010136-4000", date(2036, 1, 1)),  # 4 and YY <= 36: 2000s
        ("010137-4000", date(1937, 1, 1)),  # 4 and YY > 36: 1900s
        ("311236-9999", date(2036, 12, 31)),  # 9 like 4
        ("010137-9000", date(1937, 1, 1)),
        ("010100-5000", date(2000, 1, 1)),  # 5-8 and YY <= 57: 2000s
        ("311257-8999", date(2057, 12, 31)),  # the latest possible
        ("010158-8000", date(1858, 1, 1)),
        ("0101901234", date(1990, 1, 1)),  # without the hyphen
        (" 010190-1234 ", date(1990, 1, 1)),  # surrounding white space
    ],
)
def test_century_rule(text: str, born: date) -> None:
    assert parse_cpr(text).birth_date == born


@pytest.mark.parametrize(
    ("text", "born"),
    [
        ("290200-4000", date(2000, 2, 29)),  # 2000 is a leap year
        ("290200-5000", date(2000, 2, 29)),
        ("290296-1234", date(1996, 2, 29)),
        ("290256-5000", date(2056, 2, 29)),
        ("290260-5000", date(1860, 2, 29)),
        ("290204-4000", date(2004, 2, 29)),
    ],
)
def test_29_february_in_leap_years(text: str, born: date) -> None:
    assert parse_cpr(text).birth_date == born


@pytest.mark.parametrize(
    "text",
    [
        "290200-0000",  # 1900 was not a leap year
        "290297-1234",
        "290201-4000",  # 2001 is not a leap year
        "290257-5000",  # 2057 is not a leap year
        "290259-5000",  # neither is 1859
        "320190-1234",  # day 32
        "000190-1234",  # day 0
        "011390-1234",  # month 13
        "010090-1234",  # month 0
        "310490-1234",  # 31 April
        "300290-1234",  # 30 February
        "01019-1234",  # too short
        "010190-12345",  # too long
        "010190--1234",
        "010190 1234",
        "O10190-1234",  # a letter O
        "٠١٠١٩٠١٢٣٤",  # Arabic-Indic digits are not CPR digits
        "",
    ],
)
def test_invalid_dates_and_shapes_are_rejected(text: str) -> None:
    with pytest.raises(InvalidCpr) as caught:
        parse_cpr(text)
    assert not re.search(r"\d{4}", str(caught.value)), "the message never repeats the digits"


def test_not_text_is_rejected() -> None:
    with pytest.raises(InvalidCpr):
        parse_cpr(101901234)  # type: ignore[arg-type]
    with pytest.raises(InvalidCpr):
        parse_cpr(None)  # type: ignore[arg-type]


def test_modulus_11_is_not_required() -> None:
    passing = "0707614285"  # 0*4+7*3+0*2+7*7+6*6+1*5+4*4+2*3+8*2+5*1 = 154 = 14 * 11
    failing = "0707614286"
    assert modulus11_ok(passing)
    assert not modulus11_ok(failing)
    assert parse_cpr(failing).birth_date == date(1961, 7, 7)
    assert parse_cpr(passing).birth_date == date(1961, 7, 7)


def _serial_digits_for(year: int) -> list[int]:
    yy = year % 100
    return [d for d in range(10) if birth_century(d, yy) + yy == year]


@given(st.dates(min_value=date(FIRST_BIRTH_YEAR, 1, 1), max_value=date(LAST_BIRTH_YEAR, 12, 31)), st.data())
def test_every_birth_date_from_1858_to_2057_round_trips(born: date, data: st.DataObject) -> None:
    digits = _serial_digits_for(born.year)
    assert digits, f"no serial digit gives {born.year}"
    first = data.draw(st.sampled_from(digits))
    rest = data.draw(st.integers(0, 999))
    text = f"{born:%d%m%y}-{first}{rest:03d}"
    cpr = parse_cpr(text)
    assert cpr.birth_date == born
    assert cpr.digits == text.replace("-", "")


@given(st.integers(0, 99), st.integers(0, 9))
def test_every_year_and_digit_lands_between_1858_and_2057(yy: int, digit: int) -> None:
    assert FIRST_BIRTH_YEAR <= birth_century(digit, yy) + yy <= LAST_BIRTH_YEAR


def test_the_digits_never_show() -> None:
    cpr = parse_cpr("150396-1234")
    assert "1234" not in repr(cpr) and "1234" not in str(cpr)
    assert cpr.masked() == "150396-XXXX"
    assert cpr.is_woman is True
    assert parse_cpr("150396-1233").is_woman is False


@pytest.mark.parametrize(
    ("born", "day", "age"),
    [
        ("150690-1234", date(2026, 6, 15), 36),  # on the birthday
        ("150690-1234", date(2026, 6, 14), 35),  # the day before
        ("290200-4000", date(2026, 2, 28), 25),  # 29 February: not yet on 28 February ...
        ("290200-4000", date(2026, 3, 1), 26),  # ... but on 1 March in a non-leap year
        ("290200-4000", date(2028, 2, 29), 28),  # on the day itself in a leap year
        ("290200-4000", date(2028, 2, 28), 27),
        ("010158-5000", date(2026, 1, 1), 168),
    ],
)
def test_age_in_whole_years(born: str, day: date, age: int) -> None:
    assert parse_cpr(born).age_on(day) == age
