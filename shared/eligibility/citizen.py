"""Citizen profiles: what the rules are evaluated against, loaded from JSON or CSV. Pure.

The field names are those of the profile import and of ``planner rules check --citizen``:
cpr, name, contact_group, assessment_group, sick_pay_category, person_group_markers,
job_centre, other_actor, other_actor_referrals, registration_date, in_activation,
unemployment_fund, booking_deadline, last_meeting_date, email. An absent, null or empty field
means the citizen has no such value. ``email`` is no rule's concern: it is the address the
booking pages offer for the confirmation. CSV uses the same names as columns; lists are separated by ';'.

Birth date and age come from the CPR number (checked with the century rule; modulus 11 is not
required). Contact group, assessment group and sick-pay category must be in the reference
lists; markers, referrals and the unemployment fund are taken as given (spelled as the list
spells them when they are in it), since they may belong to other job centres or newer lists.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.cpr import Cpr, InvalidCpr, parse_cpr
from shared.eligibility.markers import JOB_CENTRE_CODE
from shared.eligibility.model import RuleType
from shared.eligibility.problems import InvalidCitizen, Problem, pointer
from shared.eligibility.reference import DEFAULT_REFERENCE, ReferenceData, ReferenceList
from shared.eligibility.validation import parse_yes_no

CITIZEN_FIELDS = (
    "cpr",
    "name",
    "contact_group",
    "assessment_group",
    "sick_pay_category",
    "person_group_markers",
    "job_centre",
    "other_actor",
    "other_actor_referrals",
    "registration_date",
    "in_activation",
    "unemployment_fund",
    "booking_deadline",
    "last_meeting_date",
    "email",
)
LIST_SEPARATOR = ";"
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_EMAIL = 254

Facts = dict[RuleType, Any]
Canonical = Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class CitizenProfile:
    """One citizen as the rules see them. ``cpr`` and ``name`` never appear in ``repr``."""

    cpr: Cpr | None = field(default=None, repr=False)
    name: str | None = field(default=None, repr=False)
    contact_group: str | None = None
    assessment_group: str | None = None
    sick_pay_category: str | None = None
    person_group_markers: frozenset[str] = frozenset()
    job_centre: str | None = None
    other_actor: bool | None = None
    other_actor_referrals: frozenset[str] = frozenset()
    registration_date: date | None = None
    in_activation: bool | None = None
    unemployment_fund: str | None = None
    booking_deadline: date | None = None
    last_meeting_date: date | None = None
    email: str | None = field(default=None, repr=False)

    @property
    def birth_date(self) -> date | None:
        return self.cpr.birth_date if self.cpr else None

    def age_on(self, day: date) -> int | None:
        """Whole years on ``day``; None without a CPR number or before birth."""
        if self.cpr is None or day < self.cpr.birth_date:
            return None
        return self.cpr.age_on(day)

    def registration_weeks_on(self, day: date) -> int | None:
        """Completed whole weeks since the registration date; None when not registered by ``day``."""
        if self.registration_date is None or day < self.registration_date:
            return None
        return (day - self.registration_date).days // 7

    def facts_on(self, day: date) -> Facts:
        """The value of every rule type for this citizen on ``day`` (None / empty set = no value)."""
        return {
            RuleType.AGE: self.age_on(day),
            RuleType.CONTACT_GROUP: self.contact_group,
            RuleType.ASSESSMENT_GROUP: self.assessment_group,
            RuleType.PERSON_GROUP_MARKER: self.person_group_markers,
            RuleType.JOB_CENTRE: self.job_centre,
            RuleType.OTHER_ACTOR: self.other_actor,
            RuleType.OTHER_ACTOR_REFERRAL: self.other_actor_referrals,
            RuleType.SICK_PAY_CATEGORY: self.sick_pay_category,
            RuleType.REGISTRATION_WEEKS: self.registration_weeks_on(day),
            RuleType.IN_ACTIVATION: self.in_activation,
            RuleType.UNEMPLOYMENT_FUND: self.unemployment_fund,
        }

    def to_json(self) -> dict[str, Any]:
        """The import form (CPR digits included: only for trusted stores, never for logs)."""
        return {
            "cpr": self.cpr.digits if self.cpr else None,
            "name": self.name,
            "contact_group": self.contact_group,
            "assessment_group": self.assessment_group,
            "sick_pay_category": self.sick_pay_category,
            "person_group_markers": sorted(self.person_group_markers),
            "job_centre": self.job_centre,
            "other_actor": self.other_actor,
            "other_actor_referrals": sorted(self.other_actor_referrals),
            "registration_date": _iso(self.registration_date),
            "in_activation": self.in_activation,
            "unemployment_fund": self.unemployment_fund,
            "booking_deadline": _iso(self.booking_deadline),
            "last_meeting_date": _iso(self.last_meeting_date),
            "email": self.email,
        }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def parse_citizen(data: object, reference: ReferenceData = DEFAULT_REFERENCE, *, path: str = "") -> CitizenProfile:
    """The profile in ``data`` (a mapping of the import fields), or ``InvalidCitizen`` with every problem."""
    profile, problems = check_citizen(data, reference, path=path)
    if profile is None:
        raise InvalidCitizen(problems)
    return profile


def check_citizen(
    data: object, reference: ReferenceData = DEFAULT_REFERENCE, *, path: str = ""
) -> tuple[CitizenProfile | None, list[Problem]]:
    """Validate one citizen; ``path`` prefixes every problem's pointer (e.g. "/3" for the 4th row)."""
    if not isinstance(data, Mapping):
        return None, [Problem(path, "not_an_object", "Borgeren skal angives som et objekt med felter.")]
    reader = _FieldReader(data, reference, path)
    profile = reader.profile()
    return (profile if not reader.problems else None), reader.problems


def citizens_from_json(text: str, reference: ReferenceData = DEFAULT_REFERENCE) -> list[CitizenProfile]:
    """Profiles from a JSON object (one citizen) or a JSON array of objects; ``InvalidCitizen`` on any problem."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidCitizen([Problem("", "invalid_json", f"Filen er ikke gyldig JSON (linje {exc.lineno}).")]) from exc
    rows = data if isinstance(data, list) else [data]
    return _parse_all(rows, reference, indexed=isinstance(data, list))


def citizens_from_csv(text: str, reference: ReferenceData = DEFAULT_REFERENCE) -> list[CitizenProfile]:
    """Profiles from CSV with a header of the import field names (',' or ';' between columns)."""
    text = text.removeprefix("\ufeff")  # Excel's byte-order mark
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    unknown = [name for name in reader.fieldnames or () if name not in CITIZEN_FIELDS]
    if unknown or not reader.fieldnames:
        raise InvalidCitizen(
            [Problem(pointer(name), "unknown_field", f"Kolonnen '{name}' kendes ikke.") for name in unknown]
            or [Problem("", "missing_field", "CSV-filen mangler en overskriftslinje med feltnavnene.")]
        )
    return _parse_all(list(reader), reference, indexed=True)


def _parse_all(rows: list[Any], reference: ReferenceData, *, indexed: bool) -> list[CitizenProfile]:
    profiles: list[CitizenProfile] = []
    problems: list[Problem] = []
    for index, row in enumerate(rows):
        if isinstance(row, Mapping) and None in row:  # a CSV row with more cells than the header
            problems.append(
                Problem(pointer(index), "too_many_cells", f"Række {index + 2} har flere celler end overskriften.")
            )
            continue
        profile, found = check_citizen(row, reference, path=pointer(index) if indexed else "")
        problems.extend(found)
        if profile is not None:
            profiles.append(profile)
    if problems:
        raise InvalidCitizen(problems)
    return profiles


class _FieldReader:
    """Reads the import fields of one citizen, collecting a problem per wrong field."""

    def __init__(self, data: Mapping[str, Any], reference: ReferenceData, path: str):
        self.data = data
        self.reference = reference
        self.path = path
        self.problems: list[Problem] = [
            Problem(path + pointer(name), "unknown_field", f"Feltet '{name}' kendes ikke.")
            for name in data
            if name not in CITIZEN_FIELDS
        ]

    def add(self, name: str, code: str, message: str) -> None:
        self.problems.append(Problem(self.path + pointer(name), code, message))

    def raw(self, name: str) -> Any:
        value = self.data.get(name)
        if isinstance(value, str):
            value = value.strip()
        return None if value in ("", None) else value

    def text(self, name: str) -> str | None:
        value = self.raw(name)
        if value is not None and not isinstance(value, str):
            self.add(name, "not_text", f"Feltet '{name}' skal være tekst.")
            return None
        return value

    def listed(self, name: str, allowed: ReferenceList, what: str) -> str | None:
        value = self.raw(name)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is None:
            return None
        canonical = allowed.canonical(value) if isinstance(value, str) else None
        if canonical is None:
            self.add(name, "unknown_value", f"Værdien '{value}' findes ikke i listen over {what}.")
        return canonical

    def free(self, name: str, allowed: ReferenceList) -> str | None:
        value = self.text(name)
        return None if value is None else (allowed.canonical(value) or value)

    def strings(self, name: str, canonical: Canonical) -> frozenset[str]:
        value = self.raw(name)
        if value is None:
            return frozenset()
        items = value.split(LIST_SEPARATOR) if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            self.add(name, "not_a_list", f"Feltet '{name}' skal være en liste af tekster (adskilt af ';' i CSV).")
            return frozenset()
        cleaned = (item.strip() for item in items)
        return frozenset(canonical(item) or item for item in cleaned if item)

    def yes_no(self, name: str) -> bool | None:
        value = self.raw(name)
        if value is None:
            return None
        answer = parse_yes_no(value)
        if answer is None:
            self.add(name, "not_boolean", f"Feltet '{name}' skal være ja eller nej.")
        return answer

    def day(self, name: str) -> date | None:
        value = self.raw(name)
        if value is None:
            return None
        if isinstance(value, str) and _ISO_DATE.fullmatch(value):
            with contextlib.suppress(ValueError):
                return date.fromisoformat(value)
        self.add(name, "invalid_date", f"Feltet '{name}' skal være en gyldig dato (ÅÅÅÅ-MM-DD).")
        return None

    def cpr(self) -> Cpr | None:
        value = self.raw("cpr")
        if value is None:
            return None
        try:
            return parse_cpr(value)
        except InvalidCpr as exc:
            self.add("cpr", "invalid_cpr", str(exc))
            return None

    def email(self) -> str | None:
        value = self.text("email")
        if value is not None and (len(value) > MAX_EMAIL or not EMAIL.match(value)):
            self.add("email", "invalid_email", "Feltet 'email' skal være en gyldig e-mailadresse.")
            return None
        return value

    def job_centre(self) -> str | None:
        value = self.text("job_centre")
        if value is not None and not JOB_CENTRE_CODE.fullmatch(value):
            self.add("job_centre", "invalid_job_centre", "Jobcentret angives med sin kode på 5 cifre.")
            return None
        return value

    def profile(self) -> CitizenProfile:
        ref = self.reference
        marker_code = _marker_canonicaliser(ref)
        return CitizenProfile(
            cpr=self.cpr(),
            name=self.text("name"),
            contact_group=self.listed("contact_group", ref.contact_groups, "kontaktgrupper"),
            assessment_group=self.listed("assessment_group", ref.assessment_groups, "visitationsgrupper"),
            sick_pay_category=self.listed("sick_pay_category", ref.sick_pay_categories, "sygedagpengekategorier"),
            person_group_markers=self.strings("person_group_markers", marker_code),
            job_centre=self.job_centre(),
            other_actor=self.yes_no("other_actor"),
            other_actor_referrals=self.strings("other_actor_referrals", ref.other_actors.canonical),
            registration_date=self.day("registration_date"),
            in_activation=self.yes_no("in_activation"),
            unemployment_fund=self.free("unemployment_fund", ref.unemployment_funds),
            booking_deadline=self.day("booking_deadline"),
            last_meeting_date=self.day("last_meeting_date"),
            email=self.email(),
        )


def _marker_canonicaliser(reference: ReferenceData) -> Canonical:
    def canonical(code: str) -> str | None:
        marker = reference.marker(code)
        return marker.code if marker else None

    return canonical
