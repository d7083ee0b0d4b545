"""Whom an offer is for: the contact groups its rules name with "lig med", kept beside the
offer (``OfferTargetGroup``) so the offer list filters by them in SQL (V-2)."""

from __future__ import annotations

from services.offers.models import Offer, OfferTargetGroup
from shared.eligibility.model import RuleType, targeted_values


def refresh_targets(offer: Offer) -> None:
    """Make the offer's target contact groups those of its rules now (keeping unchanged rows)."""
    wanted = targeted_values(offer.rules, RuleType.CONTACT_GROUP)
    kept = {link.contact_group: link for link in offer.target_links}
    offer.target_links = [kept.get(group) or OfferTargetGroup(contact_group=group) for group in wanted]
