"""The wizard's pages: "Opret tilbud" (start one, or go on with a draft), the four steps
(Type, Tid, Deltagere, Opsummering) and saving. Every button posts the whole step, which is
kept in the draft before anything else happens, so nothing typed is lost; "Næste" goes on
only when the step's fields pass the offer's own check, whose Danish messages stand at the
fields. Parse, check access, call, render."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from flask import Response, redirect, request, url_for
from flask_babel import gettext
from werkzeug.datastructures import MultiDict

from services.offers.access import authorized, scope
from services.offers.blueprint import NO_OFFER, WRITE_OFFERS, editor, transaction
from services.offers.models import JobCentre, Offer, OfferDraft
from services.offers.offers import views
from services.offers.participants.view import participant_section
from services.offers.staff_site import staff_blueprint, staff_page
from services.offers.validation import LABELS, REQUIRED
from services.offers.wizard import drafts, form, route_builder, rule_builder
from services.offers.wizard.choices import Choices, choices_for
from shared.auth.web import current_actor, requires
from shared.errors import ValidationFailed
from shared.i18n import N_
from shared.pages import page_text
from shared.timeutil import utcnow

bp = staff_blueprint("wizard_pages", __name__, url_prefix="/tilbud")

TEMPLATES = {1: "wizard/type.html", 2: "wizard/time.html", 3: "wizard/participants.html", 4: "wizard/summary.html"}
NO_CENTRE = N_("Du kan ikke oprette tilbud: du er ikke planlægger i et jobcenter.")
SAY_WHAT_TO_DO = {
    "job_centre_id": N_("Vælg jobcenter."),
    "name": N_("Skriv tilbuddets navn."),
    "conversation_type": N_("Vælg en samtaletype."),
    "meeting_form": N_("Vælg mødeform."),
    "channel": N_("Vælg, hvordan mødet holdes."),
    "team_id": N_("Vælg et team."),
    "duration_minutes": N_("Skriv mødets varighed i minutter."),
    "first_meeting_date": N_("Skriv den første mødedato."),
}
"""What to do, instead of "Feltet skal udfyldes." (UI.md), for the wizard's required fields."""


def _messages(errors: dict[str, list[Any]]) -> dict[str, list[str]]:
    """The problems by form field, each as its Danish message (rule problems at their field)."""
    shown: dict[str, list[str]] = {}
    for field, messages in errors.items():
        for message in messages:
            if isinstance(message, dict):
                target = rule_builder.field_of(str(message.get("path", ""))) if field == "rules" else field
                shown.setdefault(target, []).append(page_text(str(message.get("message", ""))))
            else:
                text = SAY_WHAT_TO_DO.get(field, str(message)) if message == REQUIRED else str(message)
                shown.setdefault(field, []).append(page_text(text))
    return shown


def _error_links(draft: OfferDraft, step: int, shown: dict[str, list[str]]) -> list[tuple[str, str]]:
    """The error summary's links: to the field on this step, or (the summary) to its step."""
    links = []
    for field, messages in shown.items():
        if step == 4:
            number = 3 if field == "rules" or field.startswith("g") else form.step_of(field)
            href = url_for(".step", draft_id=draft.id, number=min(number, 3)) + f"#{field}"
        else:
            href = f"#{field}"
        links += [(href, message) for message in messages]
    return links


def _type_options(choices: Choices, data: dict[str, Any]) -> list[tuple[Any, str]]:
    """The conversation types to choose from: those not retired, and the draft's own (an
    edited offer may keep a retired type), marked as such."""
    chosen = str(data.get("conversation_type") or "")  # the draft keeps what the form sent
    shown = []
    for code, _name in sorted(choices.conversation_types.items()):
        label = views.conversation_type(code, choices.conversation_types)
        if code not in choices.retired_types:
            shown.append((code, label))
        elif str(code) == chosen:
            shown.append((code, gettext("%(type)s (udgået)", type=label)))
    return shown


def _options(choices: Choices, data: dict[str, Any]) -> dict[str, list[tuple[Any, str]]]:
    """The choices of every select, radio and check-box list, in the page's language."""
    yes, no = gettext("Ja"), gettext("Nej")
    return {
        "centres": [(c.id, f"{c.name} ({c.code})") for c in choices.centres],
        "conversation_types": _type_options(choices, data),
        "meeting_forms": [(k, gettext(v)) for k, v in views.FORM_LABELS.items()],
        "channels": [(k, gettext(v)) for k, v in views.CHANNEL_LABELS.items()],
        "teams": [(team.id, team.name) for team in choices.teams],
        "rooms": [(room.id, f"{room.name}, {room.address}") for room in choices.rooms],
        "advisors": [(a.id, f"{a.name} ({a.phone})" if a.phone else a.name) for a in choices.advisors],
        "yes_no": [("ja", yes), ("nej", no)],
        "callers": [(k, gettext(v)) for k, v in views.CALLER_LABELS.items()],
        "minutes": [(minute, f":{minute:02d}") for minute in choices.start_minutes],
        "joins": [("and", gettext("Og: alle grupper skal være opfyldt")), ("or", gettext("Eller: mindst én gruppe"))],
        "matches": [
            ("all", gettext("Alle: alle regler er opfyldt")),
            ("any", gettext("Enhver: mindst én regel er opfyldt")),
        ],
    }


def _variant_groups(choices: Choices, data: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The centre's variants grouped by conversation type for the variant's select; a variant
    the draft names that the centre has since removed stays choosable (an edited offer keeps it)."""
    groups = [
        (views.conversation_type(code, choices.conversation_types), [(name, name) for name in names])
        for code, names in sorted(choices.variants.items())
    ]
    chosen = data.get("variant")
    if chosen and all(chosen != value for _label, options in groups for value, _text in options):
        groups.append((gettext("Ikke længere på jobcentrets liste"), [(chosen, chosen)]))
    return groups


def _routes(choices: Choices, data: dict[str, Any]) -> dict[str, Any]:
    """Step 3's marker routes (R-5): each route with its marker's name and the offer's
    advisors to tick, and the markers not routed yet."""
    names = dict(choices.markers)
    advisors = [(str(a.id), a.name) for a in choices.chosen_advisors(list(data.get("advisor_ids") or []))]
    routes = dict(data.get("marker_routes") or {})
    return {
        "rows": [
            {"code": code, "name": names.get(code, code), "chosen": [str(a) for a in ids]}
            for code, ids in routes.items()
        ],
        "advisors": advisors,
        "markers": [(code, name) for code, name in choices.markers if code not in routes],
    }


def _phone_hint(choices: Choices, data: dict[str, Any]) -> str:
    """O-4: the number a phone meeting gets when the field is left empty."""
    number, whose = choices.phone_fallback(data)
    if number is None and not (data.get("advisor_ids") or data.get("team_id")):
        return gettext(
            "Tomt: den første vejleders nummer, ellers teamets. Vælg team og vejledere: nummeret står i opsummeringen."
        )
    if number is None and data.get("caller") == "citizen":
        return gettext(
            "Hverken den første vejleder eller teamet har et telefonnummer: skriv det nummer, borgeren skal bruge."
        )
    if number is None:
        return gettext("Valgfrit, når vejlederen ringer op: borgeren ser det nummer, der bliver ringet fra.")
    return gettext("Tomt: %(number)s (%(whose)s).", number=number, whose=gettext(whose))


def _render(draft: OfferDraft, step: int, errors: dict[str, list[Any]] | None = None, status: int = 200) -> Response:
    with transaction() as session:
        choices = choices_for(session, draft.data.get("job_centre_id"))
        data = dict(draft.data)
        if choices.centre is not None and not data.get("job_centre_id"):
            data["job_centre_id"] = str(choices.centre.id)
        summary = _summary(session, draft) if step == 4 else None
        offer = session.get(Offer, draft.offer_id) if draft.offer_id else None
        centre_code = choices.centre.code if choices.centre else ""
    shown = _messages(errors or {})
    outside = _after_end(offer, draft, centre_code) if step == 4 and offer is not None else []
    return staff_page(
        TEMPLATES[step],
        status=status,
        draft=draft,
        data=data,
        group=data.get("meeting_form") == "group",
        name_fixed=offer is not None and offer.meeting_form == "group",
        step=step,
        steps=form.STEPS,
        choices=choices,
        options=_options(choices, data),
        phone_hint=_phone_hint(choices, data),
        variant_groups=_variant_groups(choices, data),
        templates=[(str(t.id), t.name) for t in choices.templates],
        template_used=data.get("template_name") if request.args.get("besked") == "skabelon" else None,
        routes=_routes(choices, data) if step == 3 else None,
        errors=shown,
        error_links=_error_links(draft, step, shown),
        labels={k: page_text(v) for k, v in LABELS.items()},
        summary=summary,
        editing=offer is not None,
        heading=gettext("Redigér tilbud") if offer is not None else gettext("Opret tilbud"),
        outside=outside,
    )


def _summary(session: Any, draft: OfferDraft) -> list[dict[str, Any]]:
    """Step 4: every answer by step, each with the step to edit it in."""
    data = draft.data
    choices = choices_for(session, data.get("job_centre_id"))
    names = views.Names(
        {t.id: t.name for t in choices.teams}, {r.id: r.name for r in choices.rooms},
        {a.id: a.name for a in choices.advisors}, choices.conversation_types,
    )  # fmt: skip
    body = form.offer_body(data)

    def row(field: str, value: Any) -> tuple[str, str, str]:
        return field, views.field_label(field), views.field_text(field, value, names)

    channel = body.get("channel")
    type_rows = [row(f, body.get(f)) for f in ("name", "description", "conversation_type", "variant",
                                               "meeting_form", "channel")]  # fmt: skip
    time_rows = [row(f, body.get(f)) for f in ("team_id", "advisor_ids", "citizen_may_choose_advisor", "room_id")
                 if f in body or f not in form.GROUP_LEAVES_OUT]  # fmt: skip
    if channel == "in_person":
        place = body.get("place") or (choices.room(body.get("room_id")).address if body.get("room_id") else None)
        time_rows.append(row("place", place))
    if channel == "phone":
        number = body.get("phone") or choices.phone_fallback(data)[0]
        time_rows += [row("caller", body.get("caller")), row("phone", number)]
    time_rows += [row(f, body.get(f)) for f in ("duration_minutes", "reporting_minutes", "start_minutes",
                  "first_meeting_date", "end_date", "rolling_weeks", "opens_on", "accept_cancellation",
                  "rebooking_days_before") if f in body or f not in form.GROUP_LEAVES_OUT]  # fmt: skip
    rules = []
    if choices.centre is not None:
        try:
            rules = views.describe_rules(body["rules"], choices.reference)
        except ValueError:
            rules = []
    routes = views.routes_shown(body.get("marker_routes") or {}, choices.reference, names)
    return [
        {"step": 1, "title": page_text("Type"), "rows": type_rows},
        {"step": 2, "title": page_text("Tid"), "rows": time_rows},
        {"step": 3, "title": page_text("Deltagere"), "rules": rules, "routes": routes},
    ]


@bp.get("/ny")
@requires(WRITE_OFFERS)
def start() -> Response:
    """Opret tilbud: start a new offer, or go on with one of the person's drafts."""
    with transaction() as session:
        mine = [
            {"id": d.id, "name": d.data.get("name") or "", "step": d.step,
             "saved": views.local_time(d.updated_at, "Europe/Copenhagen")}
            for d in drafts.drafts_of(session, current_actor())
        ]  # fmt: skip
    return staff_page("wizard/start.html", drafts=mine, steps=dict(form.STEPS))


@bp.post("/ny")
@requires(WRITE_OFFERS)
def new_draft() -> Response:
    with transaction() as session:
        choices = choices_for(session, None)
        if not choices.centres:
            raise ValidationFailed(NO_CENTRE)
        draft = drafts.start_draft(session, current_actor(), utcnow(), choices.centre.id if choices.centre else None)
        draft_id = draft.id
    return redirect(url_for(".step", draft_id=draft_id, number=1), 303)  # type: ignore[return-value]


@bp.get("/kladde/<uuid:draft_id>/trin/<int:number>")
@requires(WRITE_OFFERS)
def step(draft_id: uuid.UUID, number: int) -> Response:
    """One step of the wizard; a step not reached yet shows the furthest one reached."""
    with transaction() as session:
        draft = drafts.own_draft(session, draft_id, current_actor())
    if number not in TEMPLATES or number > draft.step:
        return redirect(url_for(".step", draft_id=draft_id, number=min(draft.step, 4)), 303)  # type: ignore[return-value]
    return _render(draft, number)


@bp.post("/kladde/<uuid:draft_id>/trin/<int:number>")
@requires(WRITE_OFFERS)
def save_step(draft_id: uuid.UUID, number: int) -> Response:
    """Keep the step's fields, then do what the button says: back, next, or change the rules."""
    action = request.form.get("handling", "naeste")
    sent: MultiDict[str, str] = request.form
    with transaction() as session:
        draft = drafts.own_draft(session, draft_id, current_actor())
        if number not in TEMPLATES or number > draft.step:
            return redirect(url_for(".step", draft_id=draft_id, number=draft.step), 303)  # type: ignore[return-value]
        data = form.take_form(draft.data, sent, number)
        if number == 3:
            data["rules"] = rule_builder.rules_from_form(sent)
            data["marker_routes"] = route_builder.apply(route_builder.routes_from_form(sent), action, sent)
            if action not in ("naeste", "tilbage", "opdater"):
                data["rules"] = rule_builder.apply(data["rules"], action)
        if number == 1:
            centres = choices_for(session, data.get("job_centre_id")).centres
            if len(centres) == 1:
                data["job_centre_id"] = str(centres[0].id)
        if number == 1 and action == "use_template":
            data = drafts.with_template(session, data, sent.get("template_id", ""))
        check = action == "naeste"
        problems = drafts.problems_of(session, data, scope(WRITE_OFFERS), draft.offer_id) if check else {}
        errors = form.step_errors(problems, number)
        advance = action == "naeste" and not errors and number < 4
        drafts.save_draft(session, draft, data, number + 1 if advance else number, utcnow())
    if errors:
        return _render(draft, number, errors, status=422)
    target = number + 1 if advance else number - 1 if action == "tilbage" else number
    if action == "use_template":
        path = url_for(".step", draft_id=draft_id, number=1, besked="skabelon")
        return redirect(path, 303)  # type: ignore[return-value]
    routing = action == "add_route" or action.startswith("remove_route:")
    anchor = (
        "#ruter"
        if number == 3 and routing
        else "#regler"
        if number == 3 and action not in ("naeste", "tilbage")
        else ""
    )
    path = url_for(".step", draft_id=draft_id, number=max(target, 1))
    return redirect(path + anchor, 303)  # type: ignore[return-value]


@bp.post("/kladde/<uuid:draft_id>/gem")
@requires(WRITE_OFFERS)
def publish(draft_id: uuid.UUID) -> Response:
    """Gem tilbud (active) or Gem som inaktivt: the offer is created and the draft removed.
    Problems left bring the person back to the summary with each one linked to its step."""
    active = request.form.get("handling") != "inaktiv"
    try:
        with transaction() as session:
            draft = drafts.own_draft(session, draft_id, current_actor())
            editing = draft.offer_id is not None
            if editing:
                offer = drafts.save_changes(session, draft, scope=scope(WRITE_OFFERS), editor=editor())
            else:
                offer = drafts.publish_draft(session, draft, active=active, scope=scope(WRITE_OFFERS), editor=editor())
            offer_id, offer_is_group = offer.id, offer.meeting_form == "group"
    except ValidationFailed as exc:
        with transaction() as session:
            draft = drafts.own_draft(session, draft_id, current_actor())
        return _render(draft, 4, dict(exc.extra.get("errors", {})) or {"name": [exc.detail]}, status=422)
    message = "aendret" if editing else "oprettet" if active else "oprettet-inaktivt"
    if not editing and offer_is_group:
        message, anchor = "faellesmoede-oprettet", "#moeder"  # next: its meetings
    else:
        anchor = ""
    target = url_for("offer_pages.offer_page", offer_id=offer_id, besked=message) + anchor
    return redirect(target, 303)  # type: ignore[return-value]


@bp.post("/kladde/<uuid:draft_id>/slet")
@requires(WRITE_OFFERS)
def delete(draft_id: uuid.UUID) -> Response:
    with transaction() as session:
        drafts.delete_draft(session, drafts.own_draft(session, draft_id, current_actor()))
    return redirect(url_for(".start"), 303)  # type: ignore[return-value]


def _after_end(offer: Offer, draft: OfferDraft, job_centre_code: str) -> list[dict[str, str]]:
    """V-6: the bookings that a new fixed end date leaves outside the offer (they are kept;
    staff contact the citizens), from booking's participant list."""
    text = str(draft.data.get("end_date") or "")
    try:
        end = date.fromisoformat(text) if text else None
    except ValueError:
        return []
    if end is None or end == offer.end_date:
        return []
    with transaction() as session:
        centre = session.get(JobCentre, offer.job_centre_id)
        timezone = centre.timezone if centre else "Europe/Copenhagen"
    section = participant_section(offer.id, job_centre_code, timezone)
    return [row for row in section.rows if row["day"] > end]


@bp.post("/<uuid:offer_id>/rediger")
@requires(WRITE_OFFERS)
def edit(offer_id: uuid.UUID) -> Response:
    """Redigér tilbud (V-6): the wizard on a draft of the offer, starting at the summary."""
    with transaction() as session:
        offer = authorized(session, Offer, offer_id, NO_OFFER, WRITE_OFFERS)
        draft = drafts.edit_draft(session, offer, current_actor(), utcnow())
        draft_id = draft.id
    return redirect(url_for(".step", draft_id=draft_id, number=4), 303)  # type: ignore[return-value]
