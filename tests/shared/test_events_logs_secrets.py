"""Envelopes, CPR redaction in logs, encrypted calendar passwords, settings."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest

from shared.config import Settings
from shared.events import BookingPayload, Envelope
from shared.logs import CprRedactingFilter, redact_cpr
from shared.secrets import SecretsNotConfigured, decrypt, encrypt, is_current, new_key, rotate


def test_envelope_round_trips_through_json_and_rejects_naive_times() -> None:
    sent = Envelope(type="offer.changed", payload={"offer_id": "x"}, version=2)
    back = Envelope.from_json(sent.to_json())
    assert back == sent
    with pytest.raises(ValueError):
        Envelope(type="x", payload={}, occurred_at=datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError):
        Envelope.from_json('{"type": "x"}')


def test_booking_payload_has_no_field_for_a_cpr_number() -> None:
    assert not any("cpr" in name or "citizen" in name for name in BookingPayload.model_fields)


def test_log_lines_never_show_a_cpr_number(caplog: pytest.LogCaptureFixture) -> None:
    assert redact_cpr("borger 010203-1234 og 0102031234") == "borger XXXXXX-XXXX og XXXXXX-XXXX"
    logger = logging.getLogger("test.cpr")
    logger.addFilter(CprRedactingFilter())
    with caplog.at_level(logging.INFO, logger="test.cpr"):
        logger.info("booking for %s failed", "2902001234")
    assert "2902001234" not in caplog.text and "XXXXXX-XXXX" in caplog.text


def test_only_numbers_that_can_be_a_cpr_number_are_masked() -> None:
    # day 01-31 and month 01-12; no modulus 11 (not required since 2007); never part of a longer number
    assert redact_cpr("311299-0000 og 2902004321") == "XXXXXX-XXXX og XXXXXX-XXXX"
    kept = "sag 9876543210, sag 3913001234, dag 0012001234, måned 0113001234, konto 01020312345, 2026-01-02"
    assert redact_cpr(kept) == kept


def test_the_filter_masks_a_cpr_number_in_a_logged_exception(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.cpr.exception")
    logger.addFilter(CprRedactingFilter())
    with caplog.at_level(logging.INFO, logger="test.cpr.exception"):
        try:
            raise ValueError("ugyldigt CPR 0102031234")
        except ValueError:
            logger.exception("opslag fejlede")
    assert "0102031234" not in caplog.text
    assert "ValueError: ugyldigt CPR XXXXXX-XXXX" in caplog.text


def test_calendar_passwords_encrypt_with_rotation() -> None:
    old, new = new_key(), new_key()
    token = encrypt("hemmeligt", old)
    assert "hemmeligt" not in token
    assert decrypt(token, f"{new},{old}") == "hemmeligt"  # a rotated key list still reads old tokens
    with pytest.raises(SecretsNotConfigured):
        decrypt(token, new)
    with pytest.raises(SecretsNotConfigured):
        encrypt("x", "")


def test_the_first_key_encrypts() -> None:
    new, old = new_key(), new_key()
    token = encrypt("hemmeligt", f"{new},{old}")
    assert decrypt(token, new) == "hemmeligt"
    with pytest.raises(SecretsNotConfigured):
        decrypt(token, old)


def test_rotate_moves_a_token_to_the_first_key() -> None:
    new, old = new_key(), new_key()
    token = encrypt("hemmeligt", old)
    assert not is_current(token, f"{new},{old}")
    rotated = rotate(token, f"{new},{old}")
    assert is_current(rotated, f"{new},{old}") and decrypt(rotated, new) == "hemmeligt"
    with pytest.raises(SecretsNotConfigured):
        rotate(token, new_key())


def test_settings_come_from_planner_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANNER_BOOKING_NOTICE_DAYS", "2")
    monkeypatch.setenv("PLANNER_BROKER_URL", "memory://")
    settings = Settings()
    assert settings.booking_notice_days == 2 and settings.broker_url == "memory://"
