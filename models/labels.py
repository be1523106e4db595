"""The six classes and their vote columns, defined once."""

from __future__ import annotations

import numpy as np

CLASSES: tuple[str, ...] = ("seizure", "lpd", "gpd", "lrda", "grda", "other")
"""Class keys, in the column order of the Kaggle files."""

CONSENSUS_NAMES: tuple[str, ...] = ("Seizure", "LPD", "GPD", "LRDA", "GRDA", "Other")
"""The ``expert_consensus`` spelling of each class in ``train.csv``, aligned with ``CLASSES``."""

VOTE_COLUMNS: tuple[str, ...] = tuple(f"{c}_vote" for c in CLASSES)
"""``seizure_vote`` ... ``other_vote``: vote counts in train.csv, probabilities in submissions."""

RELIABLE_MIN_VOTES = 10
"""Rows with at least this many votes are the reliable ones (the hidden test set's population)."""


def votes_to_probabilities(votes: np.ndarray) -> np.ndarray:
    """Normalise vote counts to probabilities per row.

    Parameters
    ----------
    votes : array, shape (n_rows, 6)
        Non-negative vote counts (or weights); every row must have a positive sum.

    Returns
    -------
    array, shape (n_rows, 6), float64
        Rows summing to 1.

    Examples
    --------
    >>> votes_to_probabilities(np.array([[0, 3, 0, 0, 0, 1]]))
    array([[0.  , 0.75, 0.  , 0.  , 0.  , 0.25]])
    """
    votes = np.asarray(votes, dtype=np.float64)
    total = votes.sum(axis=1, keepdims=True)
    if np.any(~np.isfinite(votes)) or np.any(votes < 0) or np.any(total <= 0):
        raise ValueError("votes must be finite, non-negative, with a positive sum on every row")
    return votes / total
