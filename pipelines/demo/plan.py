"""The plan of a demo data set: which EEGs, patients, label rows and geometry (no signals).

Everything random about a data set except the signals themselves is decided here, cheaply, from
one generator; each recording's signal comes later from its own ``SeedSequence`` child.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.montage import SFREQ
from features.windows import EEG_WINDOW_SEC, SPECTROGRAM_ROW_SEC, SPECTROGRAM_WINDOW_SEC
from models.labels import CLASSES, CONSENSUS_NAMES, RELIABLE_MIN_VOTES, VOTE_COLUMNS
from pipelines.demo.calibration import (
    ALPHA_PREVALENCE,
    ALPHA_UV,
    EKG_LEAK_CORR,
    EKG_RMS_UV,
    HIGH_REGIME_SHARE,
    IDENTICAL_VOTES_SHARE,
    REGIMES,
    ROWS_PER_EEG,
    SPECTRUM_COV,
    SPECTRUM_HIGH,
    SPECTRUM_LOW,
    SPECTRUM_MEAN,
)
from pipelines.demo.labels import (
    draw_from_histogram,
    sample_offsets,
    sample_patient_sizes,
    sample_truth,
    sample_vote_totals,
    sample_votes,
    unique_ids,
)
from pipelines.kaggle_io import TRAIN_COLUMNS

EEG_START_IN_SLICE_SEC = int((SPECTROGRAM_WINDOW_SEC - EEG_WINDOW_SEC) // 2)
"""275 s: where a label row's EEG window starts inside its spectrogram slice (centred)."""

MAX_DEMO_ROWS_PER_EEG = 60
"""Cap on label rows per demo EEG (the real maximum is 743), to keep files small."""

PROB_COLUMNS: tuple[str, ...] = tuple(f"{c}_prob" for c in CLASSES)


@dataclass(frozen=True)
class RecordingPlan:
    """Everything decided up front about one recording (the signal comes from ``seed``)."""

    split: str
    eeg_id: int
    spectrogram_id: int
    truth: np.ndarray
    eeg_samples: int
    eeg_start_sec: int
    """Spectrogram time of EEG sample 0, seconds."""
    spectrogram_rows: int
    side: int
    spectrum: tuple[float, ...]
    """Background: log10 uV^2/Hz of the mean bipolar derivation at ``SPECTRUM_ANCHORS_HZ``."""
    alpha_uv: float
    ekg_rms_uv: float
    ekg_leak_corr: float
    seed: np.random.SeedSequence


@dataclass(frozen=True)
class _Draws:
    """Per-patient and per-recording draws of a data set (train recordings first, then test)."""

    n_train: int
    patient_ids: np.ndarray
    eeg_ids: np.ndarray
    spec_ids: np.ndarray
    spectrum: np.ndarray
    alpha_uv: np.ndarray
    ekg_rms_uv: np.ndarray
    ekg_leak_corr: np.ndarray
    side: np.ndarray
    owner: np.ndarray
    truth: np.ndarray
    n_votes: np.ndarray
    n_rows: np.ndarray
    same: np.ndarray


def _draw_patients(rng: np.random.Generator, n_eegs: int, n_test: int) -> dict:
    """Ids, patient traits and the patient of every recording."""
    sizes = sample_patient_sizes(rng, n_eegs)
    out = {
        "patient_ids": unique_ids(rng, len(sizes) + n_test, 1, 65_536),
        "eeg_ids": unique_ids(rng, n_eegs + n_test, 100_000, 2**32),
        "spec_ids": unique_ids(rng, n_eegs + n_test, 1_000, 2**31),
    }
    # patient traits (calibration.py): background spectrum, alpha, EKG, lesion side
    n_pat = len(out["patient_ids"])
    w, v = np.linalg.eigh(np.asarray(SPECTRUM_COV))  # rounded: clip tiny negative eigenvalues
    factor = v * np.sqrt(np.clip(w, 0.0, None))
    spectrum = np.asarray(SPECTRUM_MEAN) + rng.standard_normal((n_pat, len(w))) @ factor.T
    out["spectrum"] = np.clip(spectrum, SPECTRUM_LOW, SPECTRUM_HIGH)
    present = rng.random(n_pat) < ALPHA_PREVALENCE
    out["alpha_uv"] = np.where(present, rng.uniform(*ALPHA_UV, n_pat), 0.0)
    out["ekg_rms_uv"] = EKG_RMS_UV[0] * np.exp(EKG_RMS_UV[1] * rng.standard_normal(n_pat))
    leak = EKG_LEAK_CORR[0] * np.exp(EKG_LEAK_CORR[1] * rng.standard_normal(n_pat))
    out["ekg_leak_corr"] = np.minimum(leak, 0.6)
    out["side"] = rng.choice([-1, 1], size=n_pat)
    out["owner"] = np.concatenate(
        [np.repeat(np.arange(len(sizes)), sizes), len(sizes) + np.arange(n_test)]
    )
    return out


def _draw(rng: np.random.Generator, n_eegs: int, rows_per_eeg: np.ndarray | None) -> _Draws:
    """Patients, truth, vote totals and rows per recording."""
    n_test = max(2, n_eegs // 30)
    patients = _draw_patients(rng, n_eegs, n_test)
    regime = np.where(rng.random(n_eegs) < HIGH_REGIME_SHARE, "high", "low")
    regime = np.concatenate([regime, np.full(n_test, "high")])
    truth = np.zeros((n_eegs + n_test, len(CLASSES)))
    n_votes = np.zeros(n_eegs + n_test, dtype=np.int64)
    n_rows = np.ones(n_eegs + n_test, dtype=np.int64)
    for name in REGIMES:
        idx = np.flatnonzero(regime == name)
        truth[idx] = sample_truth(rng, name, len(idx))
        n_votes[idx] = sample_vote_totals(rng, name, len(idx))
        rows = draw_from_histogram(rng, ROWS_PER_EEG[name], len(idx))
        n_rows[idx] = np.minimum(rows, MAX_DEMO_ROWS_PER_EEG)
    if rows_per_eeg is not None:
        n_rows[:n_eegs] = rows_per_eeg
    n_rows[n_eegs:] = 1
    # the test EEGs stand for the competition's hidden test set: rows with >= 10 votes
    n_votes[n_eegs:] = sample_vote_totals(rng, "high", n_test, min_votes=RELIABLE_MIN_VOTES)
    same = rng.random(n_eegs + n_test) < np.array([IDENTICAL_VOTES_SHARE[r] for r in regime])
    return _Draws(
        n_train=n_eegs, truth=truth, n_votes=n_votes, n_rows=n_rows, same=same, **patients
    )


def _recording_plan(
    rng: np.random.Generator, d: _Draws, i: int, seed: np.random.SeedSequence
) -> tuple[RecordingPlan, np.ndarray, int]:
    """The plan of recording ``i``, its EEG label offsets and its spectrogram shift (s)."""
    split = "train" if i < d.n_train else "test"
    pat = d.owner[i]
    offsets = sample_offsets(rng, int(d.n_rows[i])) if split == "train" else np.zeros(1)
    # spectrogram offset of EEG offset 0: half the recordings start their spectrogram
    # with the EEG's first window, the others up to 2 minutes earlier
    shift = 0 if split == "test" or rng.random() < 0.5 else 2 * int(rng.integers(1, 61))
    extra = 0 if split == "test" else int(rng.integers(0, 6))
    spec_rows = int((shift + int(offsets[-1]) + SPECTROGRAM_WINDOW_SEC) // SPECTROGRAM_ROW_SEC)
    plan = RecordingPlan(
        split=split,
        eeg_id=int(d.eeg_ids[i]),
        spectrogram_id=int(d.spec_ids[i]),
        truth=d.truth[i],
        eeg_samples=int((EEG_WINDOW_SEC + offsets[-1]) * SFREQ),
        eeg_start_sec=shift + EEG_START_IN_SLICE_SEC,
        spectrogram_rows=int(spec_rows + extra),
        side=int(d.side[pat]),
        spectrum=tuple(float(v) for v in d.spectrum[pat]),
        alpha_uv=float(d.alpha_uv[pat]),
        ekg_rms_uv=float(d.ekg_rms_uv[pat]),
        ekg_leak_corr=float(d.ekg_leak_corr[pat]),
        seed=seed,
    )
    return plan, offsets, shift


def plan_dataset(
    rng: np.random.Generator, n_eegs: int, seed: int, rows_per_eeg: np.ndarray | None = None
) -> tuple[list[RecordingPlan], pd.DataFrame, pd.DataFrame, pd.DataFrame, int]:
    """Decide ids, labels, truth and geometry of every recording (cheap; no signals).

    Returns
    -------
    plans : list of RecordingPlan
        ``n_eegs`` train recordings, then ``max(2, n_eegs // 30)`` test recordings.
    train : DataFrame
        ``train.csv`` rows (``TRAIN_COLUMNS``), sorted by ``eeg_id``, ``eeg_sub_id``.
    truth : DataFrame
        ``split``, ``eeg_id``, ``label_id`` and ``PROB_COLUMNS`` of every train row and test EEG.
    solution : DataFrame
        ``eeg_id``, ``patient_id`` and simulated votes of each test EEG.
    n_patients : int
    """
    d = _draw(rng, n_eegs, rows_per_eeg)
    n_all = len(d.eeg_ids)
    children = np.random.SeedSequence([seed, 0x44454D4F]).spawn(n_all)
    label_rows, truth_rows, plans, solution = [], [], [], []
    label_ids = iter(unique_ids(rng, int(d.n_rows[:n_eegs].sum()), 0, 2**32))
    for i in range(n_all):
        plan, offsets, shift = _recording_plan(rng, d, i, children[i])
        plans.append(plan)
        patient = int(d.patient_ids[d.owner[i]])
        if plan.split == "test":
            votes = sample_votes(rng, d.truth[i], int(d.n_votes[i]), 1, identical=True)
            solution.append((plan.eeg_id, patient, *votes[0]))
            truth_rows.append(("test", plan.eeg_id, None, *d.truth[i]))
            continue
        votes = sample_votes(
            rng, d.truth[i], int(d.n_votes[i]), int(d.n_rows[i]), identical=d.same[i]
        )
        for j, offset in enumerate(offsets):
            label_id = int(next(label_ids))
            label_rows.append(
                (plan.eeg_id, j, float(offset), plan.spectrogram_id, j, float(offset + shift),
                 label_id, patient, CONSENSUS_NAMES[int(np.argmax(votes[j]))],
                 *(int(v) for v in votes[j]))
            )  # fmt: skip
            truth_rows.append(("train", plan.eeg_id, label_id, *d.truth[i]))
    train = pd.DataFrame(label_rows, columns=list(TRAIN_COLUMNS))
    train = train.sort_values(["eeg_id", "eeg_sub_id"], kind="stable").reset_index(drop=True)
    truth_frame = pd.DataFrame(truth_rows, columns=["split", "eeg_id", "label_id", *PROB_COLUMNS])
    truth_frame["label_id"] = truth_frame["label_id"].astype("Int64")
    solution_frame = pd.DataFrame(solution, columns=["eeg_id", "patient_id", *VOTE_COLUMNS])
    return plans, train, truth_frame, solution_frame, len(d.patient_ids)
