"""Label groups: the windows of one EEG that repeat one expert decision.

In the Kaggle train set an EEG's label rows are mostly overlapping 50 s windows of one
stationary stretch, each carrying the same vote vector: about four rows in five repeat
another row's label. A *label group* is a set of rows of one EEG with one vote vector whose
windows, in offset order, are no more than a window length (50 s) apart. Training can
count each group once:

- ``weight``: every window is kept, weighted ``1 / group size`` (the windows act as
  augmentation, the decision counts once);
- ``one``: one representative window per group (the middle one in time);
- ``mean``: one row per group whose features are the mean over the group's windows;
- ``none``: every row counts the same (the windows count as many decisions).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GROUP_MODES = ("none", "weight", "one", "mean")
MAX_GAP_SEC = 50.0
"""Consecutive windows further apart than one window length start a new group."""


def label_groups(
    eeg_id: np.ndarray, votes: np.ndarray, offset_sec: np.ndarray | None = None
) -> np.ndarray:
    """Group index of every row.

    Parameters
    ----------
    eeg_id : array, shape (n_rows,)
    votes : array, shape (n_rows, n_classes)
        Vote counts; rows of a group have identical vectors.
    offset_sec : array, shape (n_rows,), optional
        Window start in seconds (``eeg_label_offset_seconds``); without it, rows of one EEG
        with one vote vector form one group whatever their position.

    Returns
    -------
    array, shape (n_rows,), int64
        Groups numbered 0..n_groups-1 in order of their first row.

    Examples
    --------
    >>> label_groups(np.array([1, 1, 1, 2]), np.array([[3, 0], [3, 0], [0, 3], [3, 0]]),
    ...              np.array([0.0, 10.0, 20.0, 0.0])).tolist()
    [0, 0, 1, 2]
    """
    eeg_id = np.asarray(eeg_id)
    votes = np.asarray(votes)
    n = len(eeg_id)
    if votes.shape[0] != n:
        raise ValueError(f"eeg_id has {n} rows but votes has {votes.shape[0]}")
    offset = np.zeros(n) if offset_sec is None else np.asarray(offset_sec, dtype=np.float64)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    _, vote_key = np.unique(votes, axis=0, return_inverse=True)
    vote_key = vote_key.reshape(-1)
    order = np.lexsort((offset, vote_key, eeg_id))
    same = (eeg_id[order][1:] == eeg_id[order][:-1]) & (vote_key[order][1:] == vote_key[order][:-1])
    if offset_sec is not None:
        same &= np.diff(offset[order]) <= MAX_GAP_SEC
    run = np.concatenate([[0], np.cumsum(~same)])
    groups = np.empty(n, dtype=np.int64)
    groups[order] = run
    # Renumber by first appearance, so the numbering does not depend on the sort.
    _, first = np.unique(groups, return_index=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[groups]


def group_weight(groups: np.ndarray) -> np.ndarray:
    """``1 / size`` of each row's group, shape (n_rows,): every group sums to 1."""
    sizes = np.bincount(groups)
    return 1.0 / sizes[groups]


def representatives(groups: np.ndarray, offset_sec: np.ndarray | None = None) -> np.ndarray:
    """Row index of one window per group (the middle one in offset order), ascending."""
    n = len(groups)
    offset = np.arange(n, dtype=np.float64) if offset_sec is None else np.asarray(offset_sec)
    order = np.lexsort((offset, groups))
    sizes = np.bincount(groups)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return np.sort(order[starts + sizes // 2])


def group_means(X: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean features of each group (NaN-aware) and one row index per group for its labels.

    Returns
    -------
    X_mean : array, shape (n_groups, n_features), float32
    first : array, shape (n_groups,)
        The first row of each group (all its rows share the votes).
    """
    order = np.argsort(groups, kind="stable")
    sizes = np.bincount(groups)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    Xs = np.asarray(X, dtype=np.float32)[order]
    finite = np.isfinite(Xs)
    Xs[~finite] = 0.0  # in place: a float64 copy of a Kaggle-size table would take 1.3 GB
    sums = np.add.reduceat(Xs, starts, axis=0, dtype=np.float64)
    counts = np.add.reduceat(finite, starts, axis=0, dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return mean.astype(np.float32), order[starts]


def training_rows(
    X: np.ndarray, votes: np.ndarray, groups: np.ndarray | None, mode: str, offset_sec=None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The rows a model trains on under a label-group mode (see the module docstring).

    Parameters
    ----------
    X : array, shape (n_rows, n_features)
    votes : array, shape (n_rows, n_classes)
    groups : array, shape (n_rows,), or None
        Label group of each row (any integer labels); None means every row is its own group.
    mode : {"none", "weight", "one", "mean"}
    offset_sec : array, shape (n_rows,), optional
        Window starts, to pick the middle window of a group (``one``).

    Returns
    -------
    X, votes, weight
        The training rows and their weights (None: all 1).
    """
    units = training_units(X, votes, groups, mode, offset_sec)
    return units.X, units.votes, units.weight


@dataclass(frozen=True)
class TrainingUnits:
    """The rows models train on under a label-group mode, made once for the whole table.

    A label group lies inside one EEG, so inside one patient and one fold: the units of a
    fold are the units whose source row is in the fold, and no fold needs its own copy.
    """

    X: np.ndarray  # (n_units, n_features)
    votes: np.ndarray  # (n_units, n_classes)
    weight: np.ndarray | None  # (n_units,) or None (all 1)
    row: np.ndarray  # (n_units,) a source row of each unit (its patient, fold and EEG)

    def among(self, rows: np.ndarray) -> np.ndarray:
        """Indices of the units whose source row is one of ``rows``."""
        return np.flatnonzero(np.isin(self.row, rows))


def training_units(
    X: np.ndarray, votes: np.ndarray, groups: np.ndarray | None, mode: str, offset_sec=None
) -> TrainingUnits:
    """The training units of the whole table (:func:`training_rows`), each tied to a source
    row."""
    if mode not in GROUP_MODES:
        raise ValueError(f"unknown label-group mode {mode!r}; known: {', '.join(GROUP_MODES)}")
    every = np.arange(len(X))
    if groups is None or mode == "none":
        return TrainingUnits(X, votes, None, every)
    _, local = np.unique(groups, return_inverse=True)
    local = local.reshape(-1)
    if mode == "weight":
        return TrainingUnits(X, votes, group_weight(local), every)
    if mode == "one":
        keep = representatives(local, offset_sec)
        return TrainingUnits(X[keep], votes[keep], None, keep)
    X_mean, first = group_means(X, local)
    return TrainingUnits(X_mean, votes[first], None, first)
