"""deploy/systemd: every unit runs hardened, and beat keeps its schedule (a shelve of
pickles) in a state directory of its own user, never in the shared temporary folder."""

from __future__ import annotations

import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from services.calendar_sync.celery_app import make_celery
from shared.beat_state import StateDirScheduler
from shared.config import Settings, default_state_dir
from tests.conftest import make_settings

UNITS = Path(__file__).resolve().parents[1] / "deploy" / "systemd"
HARDENING = {
    "NoNewPrivileges": "yes",
    "PrivateTmp": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
}
STATE_DIRECTORY = "jobcenter-planner"


def service_section(unit: Path) -> dict[str, list[str]]:
    """The ``[Service]`` keys of a unit file, each with all its values (keys may repeat)."""
    keys: dict[str, list[str]] = {}
    section = None
    for line in unit.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "Service":
            name, _, value = line.partition("=")
            keys.setdefault(name.strip(), []).append(value.strip())
    return keys


def unit_files() -> list[Path]:
    units = sorted(UNITS.glob("*.service"))
    assert len(units) >= 7
    return units


@pytest.mark.parametrize("unit", unit_files(), ids=lambda unit: unit.name)
def test_every_unit_runs_hardened_with_a_private_tmp(unit: Path) -> None:
    keys = service_section(unit)
    assert {name: keys.get(name, [None])[-1] for name in HARDENING} == HARDENING
    assert not any("/tmp" in value for value in keys.get("ReadWritePaths", []))


def test_beat_keeps_its_schedule_in_its_systemd_state_directory() -> None:
    keys = service_section(UNITS / "planner-beat.service")
    assert keys["StateDirectory"] == [STATE_DIRECTORY] and keys["StateDirectoryMode"] == ["0700"]
    assert f"PLANNER_STATE_DIR=%S/{STATE_DIRECTORY}" in keys["Environment"]

    state_dir = Path("/var/lib") / STATE_DIRECTORY  # %S of a system unit
    schedule = Path(make_celery(make_settings(state_dir=state_dir)).conf.beat_schedule_filename)

    assert schedule.parent == state_dir
    assert not schedule.is_relative_to(tempfile.gettempdir())


def test_without_the_setting_the_state_directory_is_the_users_own(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    assert default_state_dir() == Path.home() / ".local" / "state" / "jobcenter-planner"
    assert not default_state_dir().is_relative_to(tempfile.gettempdir())
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert Settings.model_validate({}).state_dir == tmp_path / "jobcenter-planner"
    monkeypatch.setenv("PLANNER_STATE_DIR", str(tmp_path / "set"))
    assert Settings().state_dir == tmp_path / "set"


def test_beat_makes_its_state_directory_for_this_user_only(tmp_path: Path) -> None:
    state_dir = tmp_path / "state" / STATE_DIRECTORY
    app = make_celery(make_settings(broker_url="memory://", state_dir=state_dir))
    assert app.conf.beat_scheduler == "shared.beat_state:StateDirScheduler"  # what beat runs

    scheduler = StateDirScheduler(app=app, schedule_filename=app.conf.beat_schedule_filename)
    try:
        assert "resync-all-advisors" in scheduler.schedule
    finally:
        scheduler.close()

    assert stat.S_IMODE(state_dir.stat().st_mode) == 0o700
    schedules = list(tmp_path.rglob("celerybeat-*"))
    assert schedules and all(path.parent == state_dir for path in schedules)


def test_beat_refuses_a_state_directory_others_may_write_to(tmp_path: Path) -> None:
    state_dir = tmp_path / STATE_DIRECTORY
    state_dir.mkdir()
    state_dir.chmod(0o777)  # e.g. made by hand in a shared place: anyone could plant a schedule
    app = make_celery(make_settings(broker_url="memory://", state_dir=state_dir))

    with pytest.raises(PermissionError, match="PLANNER_STATE_DIR"):
        StateDirScheduler(app=app, schedule_filename=app.conf.beat_schedule_filename)

    assert list(state_dir.iterdir()) == [], "no schedule file was opened there"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_knows_every_key_of_the_units(tmp_path: Path) -> None:
    names = []
    for unit in unit_files():  # templates are checked as one instance of each
        name = unit.name.replace("@.service", "@1.service")
        (tmp_path / name).write_text(unit.read_text())
        names.append(str(tmp_path / name))

    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *names], capture_output=True, text=True, timeout=60, check=False
    )

    problems = [line for line in done.stderr.splitlines() if "is not executable" not in line]
    assert problems == []


def test_the_booking_mail_worker_is_hardened_as_the_calendar_worker_and_keeps_beat_in_its_own_state() -> None:
    mail = service_section(UNITS / "planner-booking-mail@.service")
    worker = service_section(UNITS / "planner-worker@.service")
    hardening = [
        "NoNewPrivileges", "PrivateTmp", "PrivateDevices", "ProtectSystem", "ProtectHome", "ProtectKernelTunables",
        "ProtectKernelModules", "ProtectControlGroups", "RestrictSUIDSGID", "LockPersonality", "UMask", "User",
    ]  # fmt: skip
    assert {k: mail.get(k) for k in hardening} == {k: worker.get(k) for k in hardening}
    [command] = mail["ExecStart"]
    assert "-A services.booking.mail.celery_app worker -B -Q planner.booking.mail" in command
    assert mail["StateDirectory"] == ["jobcenter-planner-booking-mail-%i"] and mail["StateDirectoryMode"] == ["0700"]
    assert "PLANNER_STATE_DIR=%S/jobcenter-planner-booking-mail-%i" in mail["Environment"]


def test_the_booking_mail_beat_keeps_its_schedule_in_the_state_directory(tmp_path: Path) -> None:
    from services.booking.mail.celery_app import MAIL_QUEUE
    from services.booking.mail.celery_app import make_celery as make_mail_celery

    state_dir = tmp_path / "mail-state"
    app = make_mail_celery(make_settings(broker_url="memory://", state_dir=state_dir))
    assert app.conf.task_default_queue == MAIL_QUEUE
    assert app.conf.beat_scheduler == "shared.beat_state:StateDirScheduler"  # the checked state directory
    scheduler = StateDirScheduler(app=app, schedule_filename=app.conf.beat_schedule_filename)
    try:
        assert {"send-due-mail", "queue-reminders"} <= set(scheduler.schedule)
    finally:
        scheduler.close()
    assert stat.S_IMODE(state_dir.stat().st_mode) == 0o700
    assert all(path.parent == state_dir for path in tmp_path.rglob("celerybeat-*"))

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    open_app = make_mail_celery(make_settings(broker_url="memory://", state_dir=shared))
    with pytest.raises(PermissionError, match="PLANNER_STATE_DIR"):
        StateDirScheduler(app=open_app, schedule_filename=open_app.conf.beat_schedule_filename)
