"""Cross-validation folds grouped by patient, balanced on the expert consensus."""

from __future__ import annotations

import numpy as np
import pandas as pd


def patient_folds(
    patient_id: np.ndarray, consensus: np.ndarray, *, n_folds: int = 5, seed: int = 0
) -> np.ndarray:
    """Assign every row to a fold so that no patient is in two folds.

    Patients are placed one at a time, largest first (ties in a seeded random order), into
    the fold whose class counts, with the patient added, stay closest to an equal share of
    every class (the usual greedy "stratified group k-fold"). Deterministic for a seed.

    Parameters
    ----------
    patient_id : array, shape (n_rows,)
    consensus : array, shape (n_rows,)
        Class index (or label) of each row's expert consensus; used only for balance.
    n_folds : int
        At least 2, and at most the number of patients.

    Returns
    -------
    array, shape (n_rows,), int
        Fold index of each row, 0..n_folds-1.
    """
    patient_id = np.asarray(patient_id)
    consensus = np.asarray(consensus)
    if patient_id.shape != consensus.shape or patient_id.ndim != 1:
        raise ValueError("patient_id and consensus must be 1-D arrays of the same length")
    patients, patient_index = np.unique(patient_id, return_inverse=True)
    if n_folds < 2 or n_folds > len(patients):
        raise ValueError(
            f"n_folds must be between 2 and the number of patients ({len(patients)}), got {n_folds}"
        )
    classes, class_index = np.unique(consensus, return_inverse=True)
    counts = np.zeros((len(patients), len(classes)))
    np.add.at(counts, (patient_index, class_index), 1.0)

    rng = np.random.default_rng(seed)
    order = rng.permutation(len(patients))
    order = order[np.argsort(-counts[order].sum(axis=1), kind="stable")]
    target = counts.sum(axis=0) / n_folds
    fold_counts = np.zeros((n_folds, len(classes)))
    fold_of_patient = np.empty(len(patients), dtype=np.int64)
    for p in order:
        # Squared excess over the per-fold target of each class, after adding patient p.
        trial = fold_counts + counts[p]
        cost = ((trial - target) ** 2).sum(axis=1) - ((fold_counts - target) ** 2).sum(axis=1)
        best = int(np.argmin(cost + 1e-9 * fold_counts.sum(axis=1)))
        fold_of_patient[p] = best
        fold_counts[best] += counts[p]
    return fold_of_patient[patient_index]


def consensus_folds(
    patient_id: np.ndarray, votes: np.ndarray, *, n_folds: int = 5, seed: int = 0
) -> np.ndarray:
    """:func:`patient_folds` balanced on each row's consensus (its most-voted class).

    Parameters
    ----------
    patient_id : array, shape (n_rows,)
    votes : array, shape (n_rows, 6)
        Vote counts (or probabilities).

    Returns
    -------
    array, shape (n_rows,), int
        Fold index of each row (the same folds train, tune and the report use).
    """
    consensus = np.asarray(votes).argmax(axis=1)
    return patient_folds(patient_id, consensus, n_folds=n_folds, seed=seed)


def fold_table(folds: np.ndarray, patient_id: np.ndarray, consensus: np.ndarray) -> pd.DataFrame:
    """Rows, patients and class counts per fold (for summaries and reports)."""
    frame = pd.DataFrame({"fold": folds, "patient_id": patient_id, "consensus": consensus})
    grouped = frame.groupby("fold")
    table = grouped.agg(rows=("patient_id", "size"), patients=("patient_id", "nunique"))
    by_class = pd.crosstab(frame["fold"], frame["consensus"])
    return table.join(by_class)
