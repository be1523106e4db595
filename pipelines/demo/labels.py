"""Labels of the demo data: true class probabilities, expert votes, label offsets, patients.

Drawn from the tables of ``pipelines.demo.calibration`` (measured on the real labels).
"""

from __future__ import annotations

import numpy as np

from pipelines.demo.calibration import (
    CLASS_PRIOR,
    DIRICHLET_ALPHA,
    EEGS_PER_PATIENT,
    OFFSET_GAPS,
    REGIMES,
    VOTES_PER_ROW,
)


def draw_from_histogram(rng: np.random.Generator, counts, size: int) -> np.ndarray:
    counts = np.asarray(counts, dtype=np.float64)
    return rng.choice(len(counts), size=size, p=counts / counts.sum())


def sample_truth(rng: np.random.Generator, regime: str, size: int) -> np.ndarray:
    """True class probabilities of ``size`` recordings of a vote regime.

    The main class is drawn from ``CLASS_PRIOR[regime]``, then the probabilities from
    ``Dirichlet(DIRICHLET_ALPHA[regime][class])``.

    Returns
    -------
    array, shape (size, 6), float64
        Rows summing to 1, ``CLASSES`` order.
    """
    if regime not in REGIMES:
        raise ValueError(f"regime must be one of {REGIMES}, got {regime!r}")
    main = draw_from_histogram(rng, CLASS_PRIOR[regime], size)
    alpha = np.asarray(DIRICHLET_ALPHA[regime])[main]
    # Dirichlet via normalised gammas (vectorised over rows with different alphas)
    g = rng.standard_gamma(alpha)
    g[g.sum(axis=1) == 0, -1] = 1.0  # guard underflow of all tiny gammas
    return g / g.sum(axis=1, keepdims=True)


def sample_vote_totals(
    rng: np.random.Generator, regime: str, size: int, *, min_votes: int = 1
) -> np.ndarray:
    """Total votes per recording, from ``VOTES_PER_ROW[regime]`` restricted to ``>= min_votes``.

    Returns
    -------
    array, shape (size,), int64
    """
    if regime not in REGIMES:
        raise ValueError(f"regime must be one of {REGIMES}, got {regime!r}")
    counts = np.asarray(VOTES_PER_ROW[regime], dtype=np.float64)
    counts[: max(0, min_votes)] = 0.0
    if counts.sum() == 0:
        raise ValueError(f"no vote total >= {min_votes} in the {regime} regime")
    return draw_from_histogram(rng, counts, size).astype(np.int64)


def sample_votes(
    rng: np.random.Generator, truth: np.ndarray, n_votes: int, n_rows: int, *, identical: bool
) -> np.ndarray:
    """Expert votes of the label rows of one recording.

    Parameters
    ----------
    truth : array, shape (6,)
        True class probabilities.
    n_votes : int
        Experts voting on each row.
    n_rows : int
        Label rows.
    identical : bool
        One draw shared by all rows (one labelling covering overlapping windows) instead of one
        draw per row.

    Returns
    -------
    array, shape (n_rows, 6), int64
        Multinomial draws, each row summing to ``n_votes``.
    """
    if n_votes < 1 or n_rows < 1:
        raise ValueError(f"n_votes and n_rows must be >= 1, got {n_votes} and {n_rows}")
    p = np.asarray(truth, dtype=np.float64)
    p = p / p.sum()
    if identical:
        return np.repeat(rng.multinomial(n_votes, p)[None], n_rows, axis=0).astype(np.int64)
    return rng.multinomial(n_votes, p, size=n_rows).astype(np.int64)


def sample_offsets(rng: np.random.Generator, n_rows: int) -> np.ndarray:
    """EEG label offsets of one recording: 0, then gaps drawn from ``OFFSET_GAPS``.

    Returns
    -------
    array, shape (n_rows,), float64
        Increasing multiples of 2 s starting at 0.
    """
    gaps = 2.0 * draw_from_histogram(rng, OFFSET_GAPS, n_rows - 1)
    return np.concatenate([[0.0], np.cumsum(gaps)])


def sample_patient_sizes(rng: np.random.Generator, n_eegs: int) -> np.ndarray:
    """EEGs per patient, from ``EEGS_PER_PATIENT``, summing to ``n_eegs``.

    Sizes are capped at ``max(1, n_eegs // 5)`` so that a 5-fold patient-grouped split of a
    small demo still has patients in every fold; the last patient takes what is left.

    Returns
    -------
    array, shape (n_patients,), int64
    """
    cap = max(1, n_eegs // 5)
    sizes: list[int] = []
    while sum(sizes) < n_eegs:
        size = int(min(draw_from_histogram(rng, EEGS_PER_PATIENT, 1)[0], cap))
        sizes.append(min(size, n_eegs - sum(sizes)))
    return np.asarray(sizes, dtype=np.int64)


def unique_ids(rng: np.random.Generator, size: int, low: int, high: int, exclude=()) -> np.ndarray:
    """``size`` distinct random integers in ``[low, high)``, none in ``exclude``; int64."""
    taken = set(int(v) for v in exclude)
    out: list[int] = []
    while len(out) < size:
        for v in rng.integers(low, high, size=size - len(out) + 8):
            if int(v) not in taken and len(out) < size:
                taken.add(int(v))
                out.append(int(v))
    return np.asarray(out, dtype=np.int64)
