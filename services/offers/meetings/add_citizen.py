"""The "Tilføj borger" form of a group meeting's page (V-7): staff give a citizen a seat by
hand. The CPR number is checked here (``shared.cpr``); booking decides the rest and says
why it refuses. Two of its refusals the person may overrule, each explicitly and on a
second submit: a citizen the offer's rules do not admit, with a reason (``override_reason``,
stored with the booking), and a full meeting, by ticking that the citizen gets a seat
beyond the meeting's (``above_capacity``). The form keeps what was typed, so it works
without JavaScript; the CPR number travels in the POST body only, never in a URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext
from markupsafe import Markup

from services.offers.participants.booking_api import SeatAnswer
from shared.cpr import Cpr, InvalidCpr, parse_cpr
from shared.i18n import N_
from shared.pages import page_text

FORM = "borger"
"""The form's own error (a refusal about the meeting, not a field): linked to the form."""
YES = "ja"
REASON_MAX, EMAIL_MAX = 500, 254

CPR_MISSING = N_("Skriv borgerens CPR-nummer.")
CPR_INVALID = N_("Skriv et gyldigt CPR-nummer med 10 cifre, f.eks. 010190-1234.")
EMAIL_INVALID = N_("Skriv en gyldig e-mailadresse, f.eks. navn@eksempel.dk, eller lad feltet være tomt.")
REASON_TOO_LONG = N_("Skriv højst 500 tegn.")
GIVE_A_REASON = N_("Skriv en begrundelse, hvis borgeren alligevel skal have en plads.")
FULL = N_("Mødet er fuldt. Sæt kryds, hvis borgeren skal have en plads ud over mødets pladser.")
UNAVAILABLE = N_(
    "Bookingsystemet svarede ikke. Se i deltagerlisten, om borgeren har fået en plads, før du prøver igen."
)
REFUSALS = {
    "already_booked": (
        "cpr",
        N_("Borgeren har allerede en plads eller en booking i tilbuddet. En borger kan kun have én pr. tilbud."),
    ),
    "unknown_citizen": ("cpr", N_("Jobcentret har ingen oplysninger om borgeren med dette CPR-nummer. Tjek nummeret.")),
    "after_deadline": ("cpr", N_("Mødet ligger efter borgerens personlige frist, så borgeren kan ikke få en plads.")),
    "outside_period": (
        FORM,
        N_("Mødet kan ikke bookes nu: der skal være mindst én dag til mødet, og det skal ligge i tilbuddets periode."),
    ),
    "not_found": (
        FORM,
        N_("Bookingsystemet kan ikke give pladser i tilbuddet: det er inaktivt eller ikke åbnet for booking endnu."),
    ),
    "meeting_unknown": (FORM, N_("Bookingsystemet kender ikke mødet, eller mødet er aflyst.")),
    "not_allowed": (FORM, N_("Forbindelsen til bookingsystemet må ikke tilføje borgere. Kontakt it-afdelingen.")),
}


@dataclass
class CitizenForm:
    """What was typed (``values``), its problems per field, and which of the two overrules
    the form offers: the reason (``ask_reason``) and the seat beyond the meeting's (``ask_above``)."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    cpr: Cpr | None = None
    ask_reason: bool = False
    ask_above: bool = False

    @property
    def above_capacity(self) -> bool:
        return self.values.get("above_capacity") == YES


def read_form(form: Mapping[str, str]) -> CitizenForm:
    """The form as typed, checked: a CPR number (with or without the hyphen), an optional
    e-mail address, and the reason and the tick when given."""
    values = {
        "cpr": form.get("cpr", "").strip()[:20],
        "email": form.get("email", "").strip()[: EMAIL_MAX + 1],
        "override_reason": form.get("override_reason", "").strip()[: REASON_MAX + 1],
        "above_capacity": YES if form.get("above_capacity") == YES else "",
    }
    read = CitizenForm(values, ask_reason=bool(values["override_reason"]), ask_above=bool(values["above_capacity"]))
    if not values["cpr"]:
        read.errors["cpr"] = [gettext(CPR_MISSING)]
    else:
        try:
            read.cpr = parse_cpr(values["cpr"])
        except InvalidCpr:
            read.errors["cpr"] = [gettext(CPR_INVALID)]
    if len(values["email"]) > EMAIL_MAX:
        read.errors["email"] = [gettext(EMAIL_INVALID)]
    if len(values["override_reason"]) > REASON_MAX:
        read.errors["override_reason"] = [gettext(REASON_TOO_LONG)]
    return read


def refused(form: CitizenForm, answer: SeatAnswer) -> CitizenForm:
    """The form with booking's refusal at its field: the rules' reason, shown, with a place to
    give one's own; a full meeting with the tick to confirm; any other at the CPR number or
    the form."""
    detail = page_text(answer.detail or "")
    if answer.code == "not_eligible":
        form.ask_reason = True
        form.errors["override_reason"] = [Markup("{} {}").format(detail, gettext(GIVE_A_REASON))]
    elif answer.code == "meeting_full":
        form.ask_above = True
        form.errors["above_capacity"] = [gettext(FULL)]
    elif answer.errors:
        for name, messages in answer.errors.items():
            form.errors[name] = [gettext(EMAIL_INVALID)] if name == "email" else [page_text(m) for m in messages]
    elif answer.code in REFUSALS:
        where, message = REFUSALS[answer.code]
        form.errors[where] = [gettext(message)]
    else:
        form.errors[FORM] = [detail]
    return form


def unavailable(form: CitizenForm) -> CitizenForm:
    """The form when booking did not answer: the seat may have been given meanwhile."""
    form.errors[FORM] = [gettext(UNAVAILABLE)]
    return form
