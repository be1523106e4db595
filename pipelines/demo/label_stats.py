"""Label statistics of a table in the ``train.csv`` layout, and the demo generator's calibration.

Pure functions on a DataFrame with (at least) the columns ``eeg_id``, ``patient_id``,
``eeg_label_offset_seconds``, ``expert_consensus`` and the six ``*_vote`` columns. They measure
what makes the real HMS labels what they are: how many experts voted on a row, how much they
disagreed, how many label rows an EEG has and how far apart, how many EEGs a patient has and how
often all rows of one EEG carry identical votes. ``calibration_tables`` gathers the small tables
that :mod:`pipelines.demo.calibration` embeds as constants; run this module on the real labels to
re-measure them::

    python -m pipelines.demo.label_stats ../shared/hms_labels/train_labels_reconstructed.csv
"""

from __future__ import annotations

import argparse
import pprint
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

from models.labels import CONSENSUS_NAMES, RELIABLE_MIN_VOTES, VOTE_COLUMNS
from models.metric import kl_divergence

REGIMES: tuple[str, ...] = ("low", "high")
"""Vote regimes of an EEG: its first row has < ``RELIABLE_MIN_VOTES`` votes (low) or more."""

MAX_VOTES = 28
"""Largest total vote count of a real row (the histogram length is ``MAX_VOTES + 1``)."""

MAX_ROWS_PER_EEG = 60
"""Rows-per-EEG histogram cap: EEGs with more rows are counted at the cap."""

MAX_EEGS_PER_PATIENT = 30
"""EEGs-per-patient histogram cap: patients with more EEGs are counted at the cap."""

MAX_GAP_SEC = 48
"""Largest gap between consecutive label offsets of one EEG in the real labels, in seconds."""

_REQUIRED = ("eeg_id", "patient_id", "eeg_label_offset_seconds", *VOTE_COLUMNS)


def _check_columns(labels: pd.DataFrame) -> None:
    missing = [c for c in _REQUIRED if c not in labels.columns]
    if missing:
        raise ValueError(f"label table lacks column(s) {missing}; expected the train.csv layout")


def vote_counts(labels: pd.DataFrame) -> np.ndarray:
    """The six vote columns as an int64 array, shape (n_rows, 6), in ``VOTE_COLUMNS`` order."""
    _check_columns(labels)
    return labels[list(VOTE_COLUMNS)].to_numpy(dtype=np.int64)


def vote_totals(labels: pd.DataFrame) -> np.ndarray:
    """Total votes per row, shape (n_rows,), int64."""
    return vote_counts(labels).sum(axis=1)


def vote_fractions(labels: pd.DataFrame) -> np.ndarray:
    """Votes normalised per row, shape (n_rows, 6), float64 (rows without votes are refused)."""
    votes = vote_counts(labels).astype(np.float64)
    total = votes.sum(axis=1, keepdims=True)
    if np.any(total <= 0):
        row = int(np.flatnonzero(total[:, 0] <= 0)[0])
        raise ValueError(f"label row {row} has no votes")
    return votes / total


def count_histogram(counts: np.ndarray, cap: int) -> np.ndarray:
    """Histogram of non-negative integer counts, values above ``cap`` counted at ``cap``.

    Parameters
    ----------
    counts : array, shape (n,)
        Non-negative integers.
    cap : int
        Largest bin.

    Returns
    -------
    array, shape (cap + 1,), int64
        ``hist[k]`` = number of counts equal to ``k`` (``k == cap``: at least ``cap``).

    Examples
    --------
    >>> count_histogram(np.array([1, 1, 3, 9]), cap=4).tolist()
    [0, 2, 0, 1, 1]
    """
    counts = np.asarray(counts, dtype=np.int64)
    if np.any(counts < 0):
        raise ValueError("counts must be non-negative")
    return np.bincount(np.minimum(counts, cap), minlength=cap + 1).astype(np.int64)


def votes_per_row_histogram(labels: pd.DataFrame, *, max_votes: int = MAX_VOTES) -> np.ndarray:
    """Number of rows by total votes, shape (max_votes + 1,), index = total votes."""
    return count_histogram(vote_totals(labels), max_votes)


def reliable_share(labels: pd.DataFrame, *, min_votes: int = RELIABLE_MIN_VOTES) -> float:
    """Share of rows with at least ``min_votes`` votes (0.374 on the real labels)."""
    return float(np.mean(vote_totals(labels) >= min_votes))


def first_rows(labels: pd.DataFrame) -> pd.DataFrame:
    """One row per ``eeg_id``: its row with the smallest EEG offset, sorted by ``eeg_id``."""
    _check_columns(labels)
    ordered = labels.sort_values(["eeg_id", "eeg_label_offset_seconds"], kind="stable")
    return ordered.drop_duplicates("eeg_id", keep="first").reset_index(drop=True)


def rows_per_eeg(labels: pd.DataFrame) -> pd.Series:
    """Number of label rows of each ``eeg_id`` (median 3, mean 6.2, max 743 on the real labels)."""
    _check_columns(labels)
    return labels.groupby("eeg_id").size()


def eegs_per_patient(labels: pd.DataFrame) -> pd.Series:
    """Number of distinct ``eeg_id`` of each ``patient_id``."""
    _check_columns(labels)
    return labels.groupby("patient_id")["eeg_id"].nunique()


def offset_gaps(labels: pd.DataFrame) -> np.ndarray:
    """Gaps in seconds between consecutive label offsets of the same EEG, shape (n_gaps,)."""
    _check_columns(labels)
    ordered = labels.sort_values(["eeg_id", "eeg_label_offset_seconds"], kind="stable")
    gaps = ordered.groupby("eeg_id")["eeg_label_offset_seconds"].diff().dropna()
    return gaps.to_numpy(dtype=np.float64)


def identical_votes(labels: pd.DataFrame) -> pd.Series:
    """Per ``eeg_id``: whether all its rows carry the same six vote counts (bool)."""
    votes = pd.DataFrame(vote_counts(labels), columns=list(VOTE_COLUMNS))
    votes["eeg_id"] = labels["eeg_id"].to_numpy()
    return votes.groupby("eeg_id")[list(VOTE_COLUMNS)].nunique().le(1).all(axis=1)


def eeg_regimes(labels: pd.DataFrame, *, min_votes: int = RELIABLE_MIN_VOTES) -> pd.Series:
    """Per ``eeg_id`` (sorted): ``"high"`` when its first row has >= ``min_votes`` votes."""
    first = first_rows(labels)
    high = vote_totals(first) >= min_votes
    return pd.Series(np.where(high, "high", "low"), index=first["eeg_id"].to_numpy())


def consensus(votes: np.ndarray) -> np.ndarray:
    """``expert_consensus`` of each row: the class with most votes (first one on ties).

    Parameters
    ----------
    votes : array, shape (n_rows, 6)
        Vote counts in ``VOTE_COLUMNS`` order.

    Returns
    -------
    array, shape (n_rows,), object
        Names from ``CONSENSUS_NAMES``.

    Examples
    --------
    >>> consensus(np.array([[0, 3, 0, 0, 0, 1], [1, 0, 0, 0, 0, 1]])).tolist()
    ['LPD', 'Seizure']
    """
    return np.asarray(CONSENSUS_NAMES, dtype=object)[np.argmax(votes, axis=1)]


def baseline_kl(labels: pd.DataFrame, *, min_votes: int = 0) -> dict[str, float]:
    """KL of the uniform and of the class-prior prediction on rows with >= ``min_votes`` votes.

    The class prior is the mean vote distribution of the scored rows themselves. On the real
    labels: uniform 1.402 (all rows) / 1.089 (>= 10 votes), prior 1.380 / 0.974.

    Returns
    -------
    dict
        ``uniform``, ``prior`` (nats) and ``n_rows``.
    """
    y = vote_fractions(labels)
    y = y[vote_totals(labels) >= min_votes]
    if len(y) == 0:
        raise ValueError(f"no label row has at least {min_votes} votes")
    uniform = np.full_like(y, 1.0 / y.shape[1])
    prior = np.broadcast_to(y.mean(axis=0), y.shape)
    return {
        "uniform": kl_divergence(y, uniform),
        "prior": kl_divergence(y, prior),
        "n_rows": len(y),
    }


def dirichlet_multinomial_loglik(alpha: np.ndarray, votes: np.ndarray) -> float:
    """Log-likelihood of vote counts under a Dirichlet-multinomial, up to a constant.

    Parameters
    ----------
    alpha : array, shape (6,)
        Positive Dirichlet concentration.
    votes : array, shape (n_rows, 6)
        Vote counts.

    Returns
    -------
    float
        ``sum_i [lgamma(A) - lgamma(n_i + A) + sum_k lgamma(x_ik + a_k) - lgamma(a_k)]`` with
        ``A = sum(alpha)`` and ``n_i`` the row total (the multinomial coefficient, which does
        not depend on ``alpha``, is left out).
    """
    alpha = np.asarray(alpha, dtype=np.float64)
    votes = np.asarray(votes, dtype=np.float64)
    total = votes.sum(axis=1)
    a_sum = alpha.sum()
    per_row = gammaln(a_sum) - gammaln(total + a_sum)
    per_row += (gammaln(votes + alpha) - gammaln(alpha)).sum(axis=1)
    return float(per_row.sum())


def fit_dirichlet_multinomial(votes: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Maximum-likelihood Dirichlet concentration of vote counts (deterministic L-BFGS-B).

    Parameters
    ----------
    votes : array, shape (n_rows, 6)
        Vote counts, each row with a positive total.
    weights : array, shape (n_rows,), optional
        Non-negative row weights (default 1).

    Returns
    -------
    array, shape (6,), float64
        Concentration, each entry in [0.01, 100]. Its mean ``alpha / alpha.sum()`` is the mean
        vote distribution; the smaller ``alpha.sum()``, the more the experts disagree between
        rows.
    """
    votes = np.asarray(votes, dtype=np.int64)
    if votes.ndim != 2 or len(votes) == 0 or np.any(votes.sum(axis=1) <= 0):
        raise ValueError("votes must be a non-empty (n_rows, 6) array with positive row totals")
    weights = np.ones(len(votes)) if weights is None else np.asarray(weights, dtype=np.float64)
    unique, inverse = np.unique(votes, axis=0, return_inverse=True)
    weight = np.bincount(inverse.ravel(), weights=weights, minlength=len(unique))
    unique = unique.astype(np.float64)
    total = unique.sum(axis=1)

    def neg_loglik(log_alpha: np.ndarray) -> tuple[float, np.ndarray]:
        alpha = np.exp(log_alpha)
        a_sum = alpha.sum()

        per_row = gammaln(a_sum) - gammaln(total + a_sum)
        per_row += (gammaln(unique + alpha) - gammaln(alpha)).sum(axis=1)
        d_sum = digamma(a_sum) - digamma(total + a_sum)
        grad = (d_sum[:, None] + digamma(unique + alpha) - digamma(alpha)) * alpha
        return -float(weight @ per_row), -(weight @ grad)

    mean = (votes / votes.sum(axis=1, keepdims=True)).mean(axis=0)
    start = np.log(np.clip(mean, 0.01, None) * 2.0)
    bounds = [(np.log(0.01), np.log(100.0))] * votes.shape[1]
    result = minimize(neg_loglik, start, jac=True, method="L-BFGS-B", bounds=bounds)
    return np.exp(result.x)


def capped_row_weights(labels: pd.DataFrame, *, cap: int = MAX_ROWS_PER_EEG) -> np.ndarray:
    """Row weights ``min(n, cap) / n`` (``n`` = rows of the row's EEG), shape (n_rows,).

    Weighted this way, the rows of an EEG count as if the EEG had at most ``cap`` rows, which is
    what the demo generator produces.
    """
    n = labels.groupby("eeg_id")["eeg_id"].transform("size").to_numpy(dtype=np.float64)
    return np.minimum(n, cap) / n


def _regime_tables(tables: dict, name: str, votes: np.ndarray, weights: np.ndarray) -> None:
    """Fill the per-row tables of one regime from its rows' votes (n, 6) and weights (n,)."""
    n_classes = len(VOTE_COLUMNS)
    row_class = np.argmax(votes, axis=1)
    totals = np.bincount(np.minimum(votes.sum(axis=1), MAX_VOTES), weights, MAX_VOTES + 1)
    tables["votes_per_row"][name] = np.rint(totals).astype(np.int64)
    tables["class_prior"][name] = np.bincount(row_class, weights, n_classes) / weights.sum()
    tables["dirichlet_alpha"][name] = np.stack(
        [
            fit_dirichlet_multinomial(votes[row_class == k], weights[row_class == k])
            for k in range(n_classes)
        ]
    )


def calibration_tables(labels: pd.DataFrame) -> dict[str, object]:
    """The tables the demo generator embeds, per vote regime.

    An EEG's regime is that of its first row (``eeg_regimes``). Vote totals, class mix and
    disagreement are measured on all rows of the regime's EEGs, weighted by
    ``capped_row_weights``: a generator that draws them once per EEG and then draws the rows per
    EEG from ``rows_per_eeg`` (capped) reproduces the per-row distributions, which are what the
    KL figures are computed on.

    Returns
    -------
    dict
        ``high_regime_share`` (float): share of EEGs in the high regime;
        ``votes_per_row`` ({regime: int array (MAX_VOTES + 1,)}): weighted rows by total votes,
        rounded;
        ``class_prior`` ({regime: float array (6,)}): weighted share of rows by consensus,
        ``CLASSES`` order;
        ``dirichlet_alpha`` ({regime: float array (6, 6)}): row k = the weighted
        Dirichlet-multinomial fit of the rows whose consensus is class k;
        ``rows_per_eeg`` ({regime: int array (MAX_ROWS_PER_EEG + 1,)}): EEGs by label rows;
        ``identical_votes_share`` ({regime: float}): share of multi-row EEGs whose rows all
        carry identical votes;
        ``offset_gaps`` (int array (MAX_GAP_SEC // 2 + 1,)): gaps between consecutive offsets,
        index = gap / 2 s;
        ``eegs_per_patient`` (int array (MAX_EEGS_PER_PATIENT + 1,)).
    """
    regime = eeg_regimes(labels)
    row_regime = regime.loc[labels["eeg_id"].to_numpy()].to_numpy()
    votes = vote_counts(labels)
    weights = capped_row_weights(labels)
    per_eeg = rows_per_eeg(labels)
    eeg_regime = regime.loc[per_eeg.index].to_numpy()
    same = identical_votes(labels).loc[per_eeg.index].to_numpy()
    gaps = np.rint(offset_gaps(labels) / 2.0).astype(np.int64)
    tables: dict[str, object] = {
        "high_regime_share": float(np.mean(regime.to_numpy() == "high")),
        "votes_per_row": {},
        "class_prior": {},
        "dirichlet_alpha": {},
        "rows_per_eeg": {},
        "identical_votes_share": {},
        "offset_gaps": count_histogram(gaps, MAX_GAP_SEC // 2),
        "eegs_per_patient": count_histogram(
            eegs_per_patient(labels).to_numpy(), MAX_EEGS_PER_PATIENT
        ),
    }
    for name in REGIMES:
        _regime_tables(tables, name, votes[row_regime == name], weights[row_regime == name])
        in_regime = eeg_regime == name
        tables["rows_per_eeg"][name] = count_histogram(
            per_eeg.to_numpy()[in_regime], MAX_ROWS_PER_EEG
        )
        tables["identical_votes_share"][name] = float(
            same[in_regime & (per_eeg.to_numpy() > 1)].mean()
        )
    return tables


def label_summary(labels: pd.DataFrame) -> dict[str, float]:
    """The headline figures of a label table (the ones quoted in ``shared/README.md``).

    Returns
    -------
    dict
        ``n_rows``, ``n_eegs``, ``n_patients``, ``reliable_share``, ``modal_votes``,
        ``rows_per_eeg_median``, ``rows_per_eeg_mean``, ``rows_per_eeg_max``,
        ``eegs_per_patient_median``, ``eegs_per_patient_mean``, ``identical_votes_share``
        (multi-row EEGs), ``uniform_kl_all``, ``prior_kl_all``, ``uniform_kl_reliable``,
        ``prior_kl_reliable``.
    """
    per_eeg = rows_per_eeg(labels)
    per_patient = eegs_per_patient(labels)
    same = identical_votes(labels)
    all_rows = baseline_kl(labels)
    reliable = baseline_kl(labels, min_votes=RELIABLE_MIN_VOTES)
    return {
        "n_rows": len(labels),
        "n_eegs": len(per_eeg),
        "n_patients": len(per_patient),
        "reliable_share": reliable_share(labels),
        "modal_votes": int(np.argmax(votes_per_row_histogram(labels))),
        "rows_per_eeg_median": float(per_eeg.median()),
        "rows_per_eeg_mean": float(per_eeg.mean()),
        "rows_per_eeg_max": int(per_eeg.max()),
        "eegs_per_patient_median": float(per_patient.median()),
        "eegs_per_patient_mean": float(per_patient.mean()),
        "identical_votes_share": float(same[per_eeg.loc[same.index] > 1].mean()),
        "uniform_kl_all": all_rows["uniform"],
        "prior_kl_all": all_rows["prior"],
        "uniform_kl_reliable": reliable["uniform"],
        "prior_kl_reliable": reliable["prior"],
    }


def _rounded(tables: dict[str, object], decimals: int) -> object:
    if isinstance(tables, dict):
        return {k: _rounded(v, decimals) for k, v in tables.items()}
    if isinstance(tables, np.ndarray):
        if np.issubdtype(tables.dtype, np.integer):
            return tuple(int(v) for v in tables.ravel()) if tables.ndim == 1 else tables.tolist()
        return np.round(tables, decimals).tolist()
    if isinstance(tables, float):
        return round(tables, decimals)
    return tables


def main(argv: list[str] | None = None) -> None:
    """Print the summary and the calibration tables of a ``train.csv``-layout file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path, help="a train.csv-layout label file")
    args = parser.parse_args(argv)
    labels = pd.read_csv(args.csv)
    pprint.pprint(label_summary(labels), sort_dicts=False)
    pprint.pprint(_rounded(calibration_tables(labels), 4), sort_dicts=False, width=100)


if __name__ == "__main__":
    main()
