import json

import numpy as np
import pandas as pd
import pytest

from models.labels import VOTE_COLUMNS
from pipelines.cli import build_parser, main


def _write(path, eeg_ids, rows):
    values = np.zeros((len(rows), 6))
    values[:, : len(rows[0])] = rows  # classes beyond the example's are empty
    frame = pd.DataFrame(values, columns=list(VOTE_COLUMNS))
    frame.insert(0, "eeg_id", eeg_ids)
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("solution", "submission", "expected"),
    [
        # The competition metric's two published examples (ham/spam[/other] padded to six
        # classes with empty columns, which contribute nothing to the sum over y > 0).
        ([[0, 1], [1, 0], [1, 0], [0, 1]], [[0.1, 0.9], [0.9, 0.1], [0.8, 0.2], [0.35, 0.65]],
         0.216161),
        ([[0, 1, 9], [5, 5, 0], [5, 5, 0]], [[0.2, 0.1, 0.7], [0.3, 0.5, 0.2], [0.5, 0.5, 0]],
         0.160531),
    ],
)  # fmt: skip
def test_score_reproduces_published_examples(tmp_path, capsys, solution, submission, expected):
    ids = np.arange(len(solution)) + 100
    sol = _write(tmp_path / "solution.csv", ids, solution)
    sub = _write(tmp_path / "submission.csv", ids[::-1], submission[::-1])  # order-free
    assert main(["score", str(sol), str(sub), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["kl_all"] == pytest.approx(expected, abs=1e-6)
    assert main(["score", str(sol), str(sub)]) == 0
    assert f"KL divergence: {expected:.5f}" in capsys.readouterr().out


def test_score_refuses_mismatched_ids(tmp_path, capsys):
    sol = _write(tmp_path / "solution.csv", [1, 2], [[1, 0], [0, 1]])
    sub = _write(tmp_path / "submission.csv", [1, 3], [[0.5, 0.5], [0.5, 0.5]])
    assert main(["score", str(sol), str(sub)]) == 2
    err = capsys.readouterr().err
    assert "submission.csv: eeg_id set differs" in err and "1 missing" in err


def test_help_lists_every_subcommand():
    text = build_parser().format_help()
    for command in ("validate", "score", "demo-data"):
        assert command in text
