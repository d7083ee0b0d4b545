"""Which text the log redaction masks: a CPR number in every way people write one, and none
of the ordinary content of a log line (timestamps, addresses, ids, durations)."""

from __future__ import annotations

import pytest

from shared.logs import MASK, redact_cpr

WRITTEN_AS_A_CPR_NUMBER = [
    "0101901234",
    "010190-1234",
    "010190 1234",
    "010190\u00a01234",  # no-break space
    "010190\u202f1234",  # narrow no-break space
    "010190–1234",  # en dash (word processors' autocorrect)
    "010190—1234",  # em dash
    "010190‑1234",  # non-breaking hyphen
    "010190\u22121234",  # minus sign
    "01.01.90-1234",
    "01.01.90.1234",
    "01-01-90-1234",
    "01 01 90 1234",
    "01/01/90-1234",
    "311299-0000",
    "2902004321",
]

ORDINARY_LOG_CONTENT = [
    "2026-12-01 10:15:00,123 INFO services.offers started",
    "2026-12-01T10:15:00.123456+01:00",
    "[01/Dec/2026:10:15:00 +0100]",
    "01-12-2026 10:15",
    "01.12.2026 kl. 10:15",
    "192.168.10.12:8001",
    "10.11.12.13:5432",
    "127.0.0.1:5672",
    "0c5e1f3a-0101-4290-a234-123456789abc",
    "550e8400-e29b-41d4-a716-446655440000",
    "epoch 1767225600, in ms 1767225600123",
    "sag 9876543210",  # day 98
    "3201901234",  # day 32
    "0113901234",  # month 13
    "0100901234",  # month 00
    "0001901234",  # day 00
    "01019012345",  # eleven digits
    "10101901234",
    "+45 12 34 56 78",
    "kr. 1 010 901 234",
    '"GET /api/v1/jobcentres/10101/offers/1234" 200 512 1234ms',
    "took 1234 ms, 12.5 s",
    "HTTP/1.1 200 1234",
    "version 3.10.12",
]


@pytest.mark.parametrize("written", WRITTEN_AS_A_CPR_NUMBER)
def test_a_cpr_number_is_masked_however_it_is_written(written: str) -> None:
    for line in (written, f"borger {written}.", f"GET /healthz?x={written}&y=1", f"journal_{written}.pdf"):
        assert redact_cpr(line) == line.replace(written, MASK), line


@pytest.mark.parametrize("line", ORDINARY_LOG_CONTENT)
def test_ordinary_log_content_stays_readable(line: str) -> None:
    assert redact_cpr(line) == line


def test_every_cpr_number_in_a_line_is_masked_and_the_rest_kept() -> None:
    line = "booking 550e8400-e29b-41d4-a716-446655440000 for 01.01.90-1234 and 020290 4321 at 2026-12-01 10:15:00"
    assert redact_cpr(line) == (
        f"booking 550e8400-e29b-41d4-a716-446655440000 for {MASK} and {MASK} at 2026-12-01 10:15:00"
    )
