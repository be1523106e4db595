import logging

import pytest

from pipelines.cli import build_parser, main


def _subcommands() -> dict:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_every_subcommand_takes_quiet_and_verbose(name):
    options = _subcommands()[name]._option_string_actions
    assert {"--quiet", "-q", "--verbose", "-v"} <= options.keys()


def test_quiet_and_verbose_exclude_each_other(capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["validate", "--quiet", "--verbose"])
    assert exit_info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_unknown_family_is_refused_before_any_work(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["features", "--data-dir", str(tmp_path / "absent"), "--families", "spectrl"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert "unknown feature family 'spectrl'" in err and "spectral" in err
    assert not (tmp_path / "absent").exists()


def test_quiet_silences_progress_and_verbose_shows_debug(tmp_path):
    main(["runs", "--work-dir", str(tmp_path), "--quiet"])
    assert not logging.getLogger("pipelines").isEnabledFor(logging.INFO)
    main(["runs", "--work-dir", str(tmp_path), "--verbose"])
    assert logging.getLogger("pipelines").isEnabledFor(logging.DEBUG)
