"""An administrator edits the reference lists (A-5): reforms add, rename and remove values.

A list is replaced as a whole. Nothing in use is lost silently: after the change every
active offer's rules and marker routes must still be valid for its job centre, or the change
is refused (409) naming those offers. A value kept as an alias of a new one is a rename: the
offers that use it are rewritten to the new name and announced (``offer.changed``), so the
booking service keeps matching citizens. Regions in use by job centres or region markers may
be renamed the same way, never removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.offers.events import announce_offer
from services.offers.models import MARKER_LEVELS, REFERENCE_KINDS, JobCentre, Offer
from services.offers.offers.revisions import Editor, offer_values, record_changes
from services.offers.offers.targets import refresh_targets
from services.offers.rules.reference import (
    LABELS,
    MARKERS,
    StoredLists,
    load_lists,
    lock_reference_lists,
    reference_for,
    scope_of,
    store_markers,
    store_values,
)
from shared import events as ev
from shared.eligibility import MarkerLevel, PersonGroupMarker, Problem, ReferenceList, check_rules, route_problems
from shared.eligibility.problems import pointer
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.timeutil import utcnow

UNKNOWN_LIST = "Listen findes ikke. Brug en af: " + ", ".join(REFERENCE_KINDS) + "."


def list_json(lists: StoredLists, kind: str) -> dict[str, Any]:
    """One list as the admin API shows it."""
    if kind == MARKERS:
        markers = lists.reference.person_group_markers
        return {"kind": kind, "label": LABELS[kind], "values": [m.code for m in markers], "aliases": {}} | {
            "markers": [m.to_json() for m in markers]
        }
    values = lists.values_of(kind)
    return {"kind": kind, "label": LABELS[kind], "values": list(values.values), "aliases": dict(values.aliases)}


def all_lists_json(session: Session) -> list[dict[str, Any]]:
    lists = load_lists(session)
    return [list_json(lists, kind) for kind in REFERENCE_KINDS]


def one_list_json(session: Session, kind: str) -> dict[str, Any]:
    if kind not in REFERENCE_KINDS:
        raise NotFound(UNKNOWN_LIST)
    return list_json(load_lists(session), kind)


def _refuse(field: str, problems: list[Problem]) -> None:
    if problems:
        detail = problems[0].message if len(problems) == 1 else "Listen er ikke gyldig. Ret fejlene i 'errors'."
        raise ValidationFailed(detail, extra={"errors": {field: [p.to_json() for p in problems]}})


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _text(raw: Any, path: str, what: str, max_length: int, problems: list[Problem]) -> str | None:
    if not isinstance(raw, str) or not raw.strip():
        problems.append(Problem(path, "not_text", f"{what} skal være en tekst, der ikke er tom."))
        return None
    text = " ".join(raw.split())
    if len(text) > max_length:
        problems.append(Problem(path, "too_long", f"{what} må højst være {max_length} tegn."))
    return text


def parse_values(body: Mapping[str, Any]) -> ReferenceList:
    """``{"values": [...], "aliases": {old: new}}`` checked: texts, no duplicates, aliases to kept values."""
    problems: list[Problem] = []
    raw_values = body.get("values")
    if not isinstance(raw_values, list):
        _refuse("values", [Problem("", "not_a_list", "Angiv listens værdier som en liste af tekster.")])
    values: list[str] = []
    for index, raw in enumerate(raw_values):
        value = _text(raw, pointer(index), "Værdien", 200, problems)
        if value is not None and _key(value) in {_key(v) for v in values}:
            problems.append(Problem(pointer(index), "duplicate", f"'{value}' står flere gange i listen."))
        elif value is not None:
            values.append(value)
    _refuse("values", problems)
    raw_aliases = body.get("aliases") or {}
    if not isinstance(raw_aliases, Mapping):
        _refuse("aliases", [Problem("", "not_an_object", 'Angiv aliaser som {"gammelt navn": "nyt navn"}.')])
    listed = ReferenceList(values)
    aliases: dict[str, str] = {}
    for alias, target in raw_aliases.items():
        canonical = listed.canonical(target) if isinstance(target, str) else None
        if canonical is None:
            message = f"Aliasset '{alias}' peger ikke på en værdi i listen."
            problems.append(Problem(pointer(alias), "unknown_value", message))
        elif alias in listed:
            problems.append(Problem(pointer(alias), "alias_is_value", f"'{alias}' er selv en værdi i listen."))
        else:
            aliases[" ".join(alias.split())] = canonical
    _refuse("aliases", problems)
    return ReferenceList(values, aliases)


def parse_markers(session: Session, body: Mapping[str, Any], regions: ReferenceList) -> tuple[PersonGroupMarker, ...]:
    """``{"markers": [{"code", "name", "level", "owner"}]}``: a region marker names a listed region,
    a job-centre marker an existing job centre's code."""
    raw_markers = body.get("markers")
    if not isinstance(raw_markers, list):
        _refuse("markers", [Problem("", "not_a_list", "Angiv markeringerne som en liste af objekter.")])
    centres = set(session.scalars(select(JobCentre.code)))
    problems: list[Problem] = []
    markers: list[PersonGroupMarker] = []
    for index, raw in enumerate(raw_markers):
        if not isinstance(raw, Mapping):
            problems.append(Problem(pointer(index), "not_an_object", "Hver markering er et objekt."))
            continue
        problems.extend(
            Problem(pointer(index, k), "unknown_field", f"Feltet '{k}' kendes ikke.")
            for k in raw
            if k not in ("code", "name", "level", "owner")
        )
        code = _text(raw.get("code"), pointer(index, "code"), "Koden", 100, problems)
        name = _text(raw.get("name"), pointer(index, "name"), "Navnet", 200, problems)
        level, owner = raw.get("level"), raw.get("owner")
        if level not in MARKER_LEVELS:
            message = "Niveauet skal være 'state' (stat), 'region' eller 'job_centre' (jobcenter)."
            problems.append(Problem(pointer(index, "level"), "invalid_level", message))
            continue
        if level == "region":
            owner = regions.canonical(owner) if isinstance(owner, str) else None
            wrong = owner is None
        else:
            wrong = (owner is not None) if level == "state" else owner not in centres
        if wrong:
            message = {
                "state": "En markering på statsniveau har ingen ejer.",
                "region": "Angiv en region fra listen over regioner som ejer.",
                "job_centre": "Angiv et eksisterende jobcenters kode (5 cifre) som ejer.",
            }[level]
            problems.append(Problem(pointer(index, "owner"), "invalid_owner", message))
            continue
        if code is None or name is None:
            continue
        if _key(code) in {_key(m.code) for m in markers}:
            problems.append(Problem(pointer(index, "code"), "duplicate", f"Koden '{code}' står flere gange."))
            continue
        markers.append(PersonGroupMarker(code, name, MarkerLevel(level), owner))
    _refuse("markers", problems)
    return tuple(markers)


def _with_regions(session: Session, lists: StoredLists, regions: ReferenceList) -> StoredLists:
    """The lists with new regions; job centres and region markers follow a renamed region."""
    in_use: list[str] = []
    for centre in session.scalars(select(JobCentre).where(JobCentre.region.is_not(None)).order_by(JobCentre.code)):
        renamed = regions.canonical(centre.region or "")
        if renamed is None:
            in_use.append(f"jobcenter {centre.code} ({centre.name})")
        else:
            centre.region = renamed
    markers = []
    for marker in lists.reference.person_group_markers:
        if marker.level is MarkerLevel.REGION:
            renamed = regions.canonical(marker.owner or "")
            if renamed is None:
                in_use.append(f"persongruppemarkeringen '{marker.name}'")
                continue
            marker = replace(marker, owner=renamed)
        markers.append(marker)
    if in_use:
        raise Conflict(
            "Regionen bruges stadig af " + ", ".join(in_use) + ". Flyt dem først, eller behold navnet som alias.",
            code="reference_value_in_use",
        )
    return StoredLists(lists.reference.with_changes(person_group_markers=markers), regions)


def _recheck_offers(session: Session, lists: StoredLists) -> list[tuple[Offer, dict[str, Any] | None, dict[str, Any]]]:
    """Offers whose rules or routes change spelling under ``lists``; Conflict when an active
    offer's rules or routes would no longer be valid."""
    broken: list[dict[str, Any]] = []
    rewrites = []
    for offer in session.scalars(select(Offer).order_by(Offer.name, Offer.id)):
        if offer.rules is None and not offer.marker_routes:
            continue
        centre = offer.job_centre
        reference, scope = reference_for(session, centre, lists), scope_of(session, centre)
        rules, found = offer.rules, []
        if offer.rules is not None:
            parsed, found = check_rules(offer.rules, reference, scope=scope)
            rules = parsed.to_json() if parsed else rules
        routes: dict[str, Any] = {}
        for code, ids in (offer.marker_routes or {}).items():
            marker = reference.marker(code)
            routes[marker.code if marker else code] = ids
        advisors = [str(a) for a in offer.advisor_ids]
        found += route_problems(advisors, routes, reference.person_group_markers, scope)
        if found:
            if offer.active:
                broken.append({"id": str(offer.id), "name": offer.name, "problems": [p.to_json() for p in found]})
            continue
        if rules != offer.rules or routes != (offer.marker_routes or {}):
            rewrites.append((offer, rules, routes))
    if broken:
        names = ", ".join(f"'{o['name']}'" for o in broken)
        raise Conflict(
            f"Ændringen kan ikke gemmes: aktive tilbud bruger værdier, der så ikke længere findes: {names}. "
            "Ret eller deaktivér tilbuddene først, eller behold den gamle værdi som alias for den nye.",
            code="reference_value_in_use",
            extra={"offers": broken},
        )
    return rewrites


def replace_reference_list(session: Session, kind: str, body: Any, *, editor: Editor | None = None) -> dict[str, Any]:
    """Replace the list ``kind`` (values and aliases, or the markers) as a whole.

    Refused with 409 when an active offer, a job centre or a marker would lose a value it
    uses; offers using a renamed value (the old name kept as an alias) are rewritten and
    announced with ``offer.changed``, with ``editor`` as the one who changed them (in their
    revision logs). The lists belong to every job centre: the route has checked that the
    caller may write admin data at all of them.
    """
    if kind not in REFERENCE_KINDS:
        raise NotFound(UNKNOWN_LIST)
    if not isinstance(body, Mapping):
        _refuse("values", [Problem("", "not_an_object", "Send listen som et JSON-objekt.")])
    allowed = {"markers"} if kind == MARKERS else {"values", "aliases"}
    for field in body:
        if field not in allowed:
            _refuse(field, [Problem("", "unknown_field", f"Feltet '{field}' kendes ikke for denne liste.")])
    lock_reference_lists(session, exclusive=True)
    lists = load_lists(session)
    if kind == MARKERS:
        markers = parse_markers(session, body, lists.regions)
        new = StoredLists(lists.reference.with_changes(person_group_markers=markers), lists.regions)
    elif kind == "regions":
        new = _with_regions(session, lists, parse_values(body))
    else:
        new = StoredLists(lists.reference.with_changes(**{kind: parse_values(body)}), lists.regions)
    rewrites = _recheck_offers(session, new)
    if kind in (MARKERS, "regions"):
        store_markers(session, new.reference.person_group_markers)
    if kind != MARKERS:
        store_values(session, kind, new.values_of(kind))
    now, editor = utcnow(), editor or Editor()
    for offer, rules, routes in rewrites:
        before = offer_values(offer)
        offer.rules, offer.marker_routes = rules, routes
        offer.updated_at, offer.updated_by = now, editor.actor
        refresh_targets(offer)
        record_changes(session, offer, before, editor, now)
    session.flush()
    for offer, _, _ in rewrites:
        announce_offer(session, offer, ev.OFFER_CHANGED)
    return list_json(new, kind)
