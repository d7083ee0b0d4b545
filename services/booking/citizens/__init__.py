"""Citizen profiles for the booking service, behind one small interface (``CitizenProvider``).

Two providers: ``StoreProvider`` reads the booking database's own ``citizen_profile`` table
(filled by imports from CSV or JSON: ``planner booking import-citizens`` or POST
/api/v1/citizens), and ``HttpCitizenProvider`` asks an external citizen registry. Every
lookup of a CPR number is written to the CPR access log first (``look_up_citizen``).
"""

from services.booking.citizens.access import identify_citizen, look_up_citizen
from services.booking.citizens.provider import CitizenProvider, HttpCitizenProvider
from services.booking.citizens.store import StoreProvider, import_profiles, parse_import, save_profiles

__all__ = [
    "CitizenProvider",
    "HttpCitizenProvider",
    "StoreProvider",
    "identify_citizen",
    "import_profiles",
    "look_up_citizen",
    "parse_import",
    "save_profiles",
]
