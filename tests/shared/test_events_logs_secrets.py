"""Envelopes, CPR redaction in logs, encrypted calendar passwords, settings."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest

from shared.config import Settings
from shared.events import BookingPayload, Envelope
from shared.logs import CprRedactingFilter, redact_cpr
from shared.secrets import SecretsNotConfigured, decrypt, encrypt, new_key


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


def test_calendar_passwords_encrypt_with_rotation() -> None:
    old, new = new_key(), new_key()
    token = encrypt("hemmeligt", old)
    assert "hemmeligt" not in token
    assert decrypt(token, f"{new},{old}") == "hemmeligt"  # a rotated key list still reads old tokens
    with pytest.raises(SecretsNotConfigured):
        decrypt(token, new)
    with pytest.raises(SecretsNotConfigured):
        encrypt("x", "")


def test_settings_come_from_planner_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANNER_BOOKING_NOTICE_DAYS", "2")
    monkeypatch.setenv("PLANNER_BROKER_URL", "memory://")
    settings = Settings()
    assert settings.booking_notice_days == 2 and settings.broker_url == "memory://"
