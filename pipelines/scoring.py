"""Score a Kaggle-format submission against an answer key of expert vote counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models.labels import VOTE_COLUMNS
from models.metric import kl_report
from pipelines.kaggle_io import DataError, read_votes_table


def score_submission(solution_path: Path, submission_path: Path) -> dict[str, float]:
    """KL of a submission against an answer key, aligned on ``eeg_id``.

    The answer key holds vote counts (normalised per row here); the submission holds
    probabilities, scored as the competition did (clipped, not renormalised).

    Returns
    -------
    dict
        ``kl_divergence_rows`` of ``models.metric.kl_report`` plus ``max_row_sum_error``.
    """
    solution = read_votes_table(solution_path, "answer key")
    submission = read_votes_table(submission_path, "submission")
    missing = sorted(set(solution["eeg_id"]) - set(submission["eeg_id"]))
    extra = sorted(set(submission["eeg_id"]) - set(solution["eeg_id"]))
    if missing or extra:
        raise DataError(
            f"{submission_path}: eeg_id set differs from {solution_path}: "
            f"{len(missing)} missing (e.g. {missing[:3]}), {len(extra)} unexpected "
            f"(e.g. {extra[:3]})"
        )
    aligned = submission.set_index("eeg_id").loc[solution["eeg_id"], list(VOTE_COLUMNS)]
    predictions = aligned.to_numpy(dtype=np.float64)
    report = kl_report(
        solution[list(VOTE_COLUMNS)].to_numpy(), predictions, solution["eeg_id"].to_numpy()
    )
    report["max_row_sum_error"] = float(np.abs(predictions.sum(axis=1) - 1).max())
    return report
