"""Validation problems: where (a JSON pointer), what (an English code) and a Danish message. Pure.

The offers API puts the list into its problem document (``to_validation_failed``); pages show
each message next to the field its path points at.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from shared.errors import ValidationFailed


@dataclass(frozen=True, slots=True)
class Problem:
    path: str  # JSON pointer into the checked document ("" = the whole document), e.g. "/groups/0/rules/2/value"
    code: str  # stable English code, e.g. "condition_not_allowed"
    message: str  # Danish, for staff

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "code": self.code, "message": self.message}


def pointer(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901) from its parts."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


class InvalidInput(ValueError):
    """Input that does not pass validation; ``problems`` lists every problem found."""

    summary = "Oplysningerne er ikke gyldige."
    code = "invalid_input"

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__(self.problems[0].message if len(self.problems) == 1 else self.summary)

    def problems_json(self) -> list[dict[str, str]]:
        return [problem.to_json() for problem in self.problems]

    def to_validation_failed(self) -> ValidationFailed:
        """The 422 error for an API: ``extra["errors"]`` is the list of {path, code, message}."""
        return ValidationFailed(str(self), code=self.code, extra={"errors": self.problems_json()})


class InvalidRules(InvalidInput):
    summary = "Reglerne for deltagere er ikke gyldige."
    code = "invalid_rules"


class InvalidCitizen(InvalidInput):
    summary = "Borgerens oplysninger er ikke gyldige."
    code = "invalid_citizen"
