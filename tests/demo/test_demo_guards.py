"""The demo starts only where it is safe: on loopback, and in a folder it may empty."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from services.cli import main
from services.demo.run import DATA_MARKER, DemoRefused, check_demo_host, prepare_data_dir


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "demo.example.org"])
def test_a_host_other_than_loopback_is_refused(host: str) -> None:
    with pytest.raises(DemoRefused, match=r"kun på 127\.0\.0\.1"):
        check_demo_host(host)
    check_demo_host("127.0.0.1")
    check_demo_host("::1")
    check_demo_host("localhost")


def test_the_command_says_why_and_starts_nothing(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--host", "0.0.0.0", "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 1
    assert "faste demo-adgangskoder" in result.output
    assert not (tmp_path / "d").exists()


def test_a_folder_with_other_files_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "thesis.tex").write_text("years of work")
    with pytest.raises(DemoRefused, match="slettes ikke"):
        prepare_data_dir(tmp_path)
    assert (tmp_path / "thesis.tex").read_text() == "years of work"


def test_the_demos_own_folder_is_emptied_and_marked(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    prepare_data_dir(data)
    (data / "offers.db").write_text("old")
    prepare_data_dir(data)
    assert sorted(p.name for p in data.iterdir()) == [DATA_MARKER]
    empty = tmp_path / "empty"
    empty.mkdir()
    prepare_data_dir(empty)
    assert (empty / DATA_MARKER).exists()
