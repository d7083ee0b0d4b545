"""Where citizen profiles come from: the interface, and the external registry over HTTP.

``HttpCitizenProvider`` asks ``POST {base}/citizens/lookup`` with ``{"cpr": "DDMMYYSSSS"}``
in the body: the CPR number is never part of a URL (URLs end up in access logs), and a POST
answer is never cached by a proxy that could hand one citizen's data to another. The registry
answers 200 with a profile in the import's field names, or 404 for an unknown citizen. A
timeout, an unreachable registry, any other status or an unreadable profile is
``UpstreamUnavailable`` (503 to the citizen); nothing about the citizen is logged.

The registry is the authority on a citizen's groups: a contact group, assessment group or
sick-pay category the booking service's lists do not know yet (a reform) is taken as given,
spelled as the list spells it when it is known.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

import requests

from shared.cpr import Cpr
from shared.eligibility import DEFAULT_REFERENCE, CitizenProfile, ReferenceData, check_citizen
from shared.errors import UpstreamUnavailable

log = logging.getLogger(__name__)

REGISTRY_DOWN = "Borgerregistret svarer ikke lige nu, så vi kan ikke se, hvilke tilbud du kan booke. Prøv igen om lidt."
REGISTRY_CONFUSED = (
    "Borgerregistret svarede med oplysninger, der ikke kan læses. Prøv igen senere, eller kontakt jobcentret."
)


class CitizenProvider(Protocol):
    """Finds the profile of the citizen with ``cpr`` (None: the citizen is not known)."""

    def find(self, cpr: Cpr) -> CitizenProfile | None: ...


class HttpCitizenProvider:
    """An external citizen registry at ``base_url`` (see the module docstring for the protocol)."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_seconds: float = 5.0,
        reference: Callable[[], ReferenceData] = lambda: DEFAULT_REFERENCE,
        headers: dict[str, str] | None = None,
    ):
        self.url = base_url.rstrip("/") + "/citizens/lookup"
        self.timeout_seconds = timeout_seconds
        self.reference = reference
        self.headers = {"Accept": "application/json", **(headers or {})}

    def find(self, cpr: Cpr) -> CitizenProfile | None:
        try:
            response = requests.post(
                self.url, json={"cpr": cpr.digits}, headers=self.headers, timeout=self.timeout_seconds
            )
        except requests.Timeout:
            log.warning("citizen registry %s did not answer within %.1f s", self.url, self.timeout_seconds)
            raise UpstreamUnavailable(REGISTRY_DOWN, code="registry_unavailable") from None
        except requests.RequestException as exc:
            log.warning("citizen registry %s is unreachable: %s", self.url, type(exc).__name__)
            raise UpstreamUnavailable(REGISTRY_DOWN, code="registry_unavailable") from None
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            log.warning("citizen registry %s answered %d", self.url, response.status_code)
            raise UpstreamUnavailable(REGISTRY_DOWN, code="registry_unavailable")
        try:
            data = response.json()
        except ValueError:
            log.error("citizen registry %s answered something that is not JSON", self.url)
            raise UpstreamUnavailable(REGISTRY_CONFUSED, code="registry_invalid_answer") from None
        profile, problems = check_citizen(data, _accepting_its_values(self.reference(), data))
        if profile is None:
            # Only where and what kind: a problem's message may quote the citizen's values.
            log.error("citizen registry answered an invalid profile: %s", [f"{p.path} {p.code}" for p in problems])
            raise UpstreamUnavailable(REGISTRY_CONFUSED, code="registry_invalid_answer")
        if profile.cpr is None:
            return replace(profile, cpr=cpr)
        if profile.cpr.digits != cpr.digits:
            log.error("citizen registry answered with another citizen's profile")
            raise UpstreamUnavailable(REGISTRY_CONFUSED, code="registry_invalid_answer")
        return profile


_LISTED_FIELDS = {
    "contact_group": "contact_groups",
    "assessment_group": "assessment_groups",
    "sick_pay_category": "sick_pay_categories",
}


def _accepting_its_values(reference: ReferenceData, data: Any) -> ReferenceData:
    """``reference`` with the answer's own list values added where they are not known."""
    if not isinstance(data, dict):
        return reference
    changes = {}
    for field, name in _LISTED_FIELDS.items():
        value = data.get(field)
        value = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        listed = getattr(reference, name)
        if isinstance(value, str) and value.strip() and value not in listed:
            changes[name] = [*listed.values, value.strip()]
    return reference.with_changes(**changes) if changes else reference
