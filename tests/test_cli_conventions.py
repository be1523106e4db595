"""CLI habits: --version, a mistyped flag answered with its subcommand's usage, --json."""

from __future__ import annotations

import json

import pytest

from pipelines.cli import main


def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("hms ") and out.strip() != "hms"


@pytest.mark.parametrize("command", ["train", "inspect", "runs"])
def test_mistyped_flag_prints_the_subcommand_usage(capsys, command):
    with pytest.raises(SystemExit) as stop:
        main([command, "--no-such-flag"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: hms {command} ")
    assert "unrecognized arguments: --no-such-flag" in err


def test_runs_json_on_an_empty_work_dir(tmp_path, capsys):
    assert main(["runs", "--work-dir", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["runs", "--work-dir", str(tmp_path)]) == 0
    assert "no model bundle" in capsys.readouterr().out
