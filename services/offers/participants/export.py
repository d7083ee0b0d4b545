"""The participant list as an Excel workbook (V-4), with openpyxl.

Every cell is written as text or a number, never as a formula: a text that a spreadsheet
would read as one (starting with = + - @, or a tab or carriage return before it) gets a
leading apostrophe's worth of protection, a "'" kept in the cell, so opening the file runs
nothing (CSV/formula injection). CPR numbers are text cells ("DDMMÅÅ-XXXX"), so no leading
zero is lost and no spreadsheet turns them into dates or numbers.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.utils import get_column_letter

from services.offers.participants.booking_api import BookedCitizen
from shared import formatting as fmt
from shared.timeutil import zone

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HEADINGS = ("Navn", "CPR-nummer", "Kontaktgruppe", "Alder", "Personlig frist", "Dato", "Tid", "Reference")
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralised(text: str | None) -> str:
    """``text`` as a cell no spreadsheet will evaluate."""
    if not text:
        return ""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def file_name(name: str, start: datetime | None = None) -> str:
    """``deltagere-<name's slug>.xlsx``; with a meeting's (local) ``start``,
    ``deltagere-<slug>-<yyyy-mm-dd-hhmm>.xlsx``."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower().translate(str.maketrans("æøå", "eoa"))).strip("-") or "tilbud"
    return f"deltagere-{slug}-{start:%Y-%m-%d-%H%M}.xlsx" if start else f"deltagere-{slug}.xlsx"


def workbook(offer_name: str, participants: Sequence[BookedCitizen], timezone: str, made_at: datetime) -> bytes:
    """The .xlsx file: one sheet "Deltagere" with a heading row and one row per participant."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Deltagere"
    sheet.append([neutralised(f"{offer_name}: deltagere pr. {fmt.long_date(made_at.date())}")])
    sheet.append(list(HEADINGS))
    for citizen in participants:
        start = citizen.start.astimezone(zone(timezone))
        end = citizen.end.astimezone(zone(timezone))
        cpr = f"{citizen.cpr.digits[:6]}-{citizen.cpr.digits[6:]}" if citizen.cpr else citizen.cpr_masked
        sheet.append([
            neutralised(citizen.name), cpr, neutralised(citizen.contact_group), citizen.age,
            citizen.booking_deadline.strftime("%d-%m-%Y") if citizen.booking_deadline else "",
            start.strftime("%d-%m-%Y"), fmt.time_span(start, end), neutralised(citizen.reference),
        ])  # fmt: skip
    for row in sheet.iter_rows(min_row=1):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = TYPE_STRING  # text, whatever it looks like
    for column, width in enumerate((28, 14, 28, 8, 16, 12, 13, 12), start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
