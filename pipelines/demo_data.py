"""Generate a demo data set in the exact Kaggle HMS layout, with known true probabilities.

The demo lets a new user run the whole pipeline without a Kaggle account. It is not a claim
about accuracy on real EEG. What it reproduces:

- the files, columns, dtypes and geometry of the Kaggle data (``train.csv``, ``test.csv``,
  ``sample_submission.csv``, one EEG and one spectrogram parquet file per recording); the 50 s
  EEG window of a label row is the centre of its 10-minute spectrogram slice, exactly as in
  Kaggle (EEG sample 0 sits at spectrogram time ``spectrogram offset - EEG offset + 275 s``,
  measured on ``shared/hms_real_mini``);
- the spectrograms are computed from the generated signal (``kaggle_spectrogram``), so both
  views describe the same activity;
- signals: spatially correlated 1/f background, posterior alpha, EKG with leakage, eye blinks,
  muscle bursts, NaN runs, flat and all-NaN channels, and the six patterns with their clinical
  morphology (``seizure_activity``, ``periodic_discharges``, ``rhythmic_delta``);
- labels: each recording has a latent true class-probability vector; votes are multinomial draws
  from it, with vote counts, class mix, disagreement, rows per EEG, offset gaps, EEGs per
  patient and identical-vote rows calibrated on the 106,667 real label rows (tables below).

How the truth shows in the signal (so a model can learn it and a perfect one reaches the
oracle KL): seizure amplitude is proportional to ``p_seizure``; periodic-discharge amplitude to
``p_lpd + p_gpd`` and their lateralisation (0 = symmetric, 1 = one hemisphere only) to
``p_lpd / (p_lpd + p_gpd)``; rhythmic-delta amplitude and lateralisation likewise from
``p_lrda`` and ``p_grda``; ``other`` is what is left (background and artifacts only).

Outside the Kaggle files, ``demo_truth.csv`` holds the true probabilities of every train row and
test EEG and ``demo_test_solution.csv`` simulated expert votes (>= 10 per EEG) for the test EEGs.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.fft
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from features.montage import (
    BIPOLAR_PAIRS,
    CHAINS,
    EEG_CHANNELS,
    KAGGLE_CHAINS,
    RAW_COLUMNS,
    SFREQ,
    SPECTROGRAM_COLUMNS,
    to_bipolar,
)
from features.windows import (
    EEG_WINDOW_SEC,
    SPECTROGRAM_ROW_SEC,
    SPECTROGRAM_WINDOW_SEC,
)
from models.labels import CLASSES, CONSENSUS_NAMES, RELIABLE_MIN_VOTES, VOTE_COLUMNS
from models.metric import kl_divergence
from pipelines.files import write_atomic
from pipelines.kaggle_io import TRAIN_COLUMNS

# ---------------------------------------------------------------------------------------------
# Calibration tables, measured once on ../shared/hms_labels/train_labels_reconstructed.csv
# (106,667 real rows, 17,067 EEGs, 1,950 patients) with
#     python -m pipelines.label_stats ../shared/hms_labels/train_labels_reconstructed.csv
# (``pipelines.label_stats.calibration_tables``; tests/test_label_stats.py checks they still
# match). An EEG's regime is "high" when its first row has >= 10 votes. Per-EEG tables count
# each EEG once; per-row tables are weighted so that a generator drawing votes, class and
# disagreement once per EEG and rows per EEG from ROWS_PER_EEG (capped at 60) reproduces the
# real per-row distributions.
# ---------------------------------------------------------------------------------------------

REGIMES: tuple[str, ...] = ("low", "high")

HIGH_REGIME_SHARE = 0.3183
"""Share of EEGs whose first row has >= 10 votes."""

VOTES_PER_ROW: dict[str, tuple[int, ...]] = {
    "low": (
        0, 4100, 2159, 45624, 2816, 3633, 853, 3, 0, 0, 132, 421, 366, 996, 94, 254, 845, 53, 18,
        34, 22, 1, 0, 0, 0, 0, 0, 0, 0,
    ),
    "high": (
        0, 104, 64, 896, 320, 119, 15, 0, 0, 0, 914, 2126, 3800, 6092, 3584, 8074, 3633, 1216,
        1485, 216, 612, 178, 54, 24, 17, 20, 6, 5, 6,
    ),
}  # fmt: skip
"""Label rows by total votes (index = total votes, 0..28), weighted by ``min(n, 60) / n`` with
``n`` the rows of their EEG (``label_stats.capped_row_weights``), rounded."""

CLASS_PRIOR: dict[str, tuple[float, ...]] = {
    "low": (0.3146, 0.1179, 0.0856, 0.1434, 0.1944, 0.1441),
    "high": (0.0319, 0.2003, 0.2174, 0.1384, 0.126, 0.286),
}
"""Share of label rows by consensus (same weights), in ``CLASSES`` order."""

DIRICHLET_ALPHA: dict[str, tuple[tuple[float, ...], ...]] = {
    "low": (
        (7.5033, 0.0875, 0.0532, 0.0495, 0.0239, 0.1941),
        (0.3565, 8.3749, 0.269, 0.899, 0.094, 1.3514),
        (0.662, 1.0674, 12.3901, 0.1323, 0.6751, 1.9689),
        (0.1913, 0.7106, 0.0678, 12.5685, 0.9845, 2.0999),
        (0.0344, 0.0314, 0.0596, 0.2164, 7.1311, 0.218),
        (0.289, 0.5377, 0.2321, 0.6918, 0.6325, 10.9879),
    ),
    "high": (
        (3.2042, 0.2861, 0.2625, 0.1808, 0.0522, 0.3703),
        (0.2208, 4.5557, 0.1926, 0.3819, 0.0941, 0.7517),
        (0.4805, 0.4078, 5.5979, 0.0878, 0.3302, 0.9418),
        (0.2395, 0.849, 0.1033, 6.601, 0.7189, 2.8628),
        (0.1298, 0.4427, 0.7901, 0.8353, 9.8657, 4.3607),
        (0.0942, 0.2828, 0.1982, 0.3342, 0.4601, 4.4073),
    ),
}
"""Dirichlet-multinomial fit (weighted maximum likelihood, entries bounded to [0.01, 100]) of the
votes of the rows whose consensus is class k (row k). The true probabilities of a demo EEG of
class k are drawn from ``Dirichlet(alpha[k])``."""

ROWS_PER_EEG: dict[str, tuple[int, ...]] = {
    "low": (
        0, 5252, 1059, 732, 759, 522, 512, 393, 316, 272, 230, 190, 177, 138, 104, 118, 98, 73,
        61, 53, 40, 31, 39, 33, 26, 24, 27, 19, 28, 19, 20, 21, 13, 14, 8, 10, 8, 9, 5, 8, 6,
        11, 9, 6, 6, 2, 6, 6, 8, 3, 4, 5, 4, 1, 3, 5, 2, 1, 1, 2, 83,
    ),
    "high": (
        0, 1072, 911, 693, 554, 416, 322, 274, 169, 181, 135, 104, 59, 61, 54, 42, 26, 26, 33,
        17, 19, 16, 14, 13, 11, 18, 9, 18, 8, 7, 5, 4, 9, 7, 7, 7, 2, 3, 1, 7, 6, 3, 4, 0, 3,
        4, 1, 0, 3, 3, 1, 1, 1, 2, 1, 2, 0, 2, 3, 1, 57,
    ),
}  # fmt: skip
"""Number of EEGs by label rows (index = rows, 0..60; EEGs with more rows counted at 60)."""

IDENTICAL_VOTES_SHARE: dict[str, float] = {"low": 0.7741, "high": 0.917}
"""Share of multi-row EEGs whose rows all carry identical votes (one expert labelling covers
overlapping windows)."""

OFFSET_GAPS: tuple[int, ...] = (
    0, 41911, 17988, 9505, 5662, 3820, 2452, 1713, 1254, 927, 739, 582, 504, 403, 315, 282, 231,
    220, 200, 167, 177, 169, 161, 117, 101,
)  # fmt: skip
"""Number of gaps between consecutive label offsets of one EEG, index = gap / 2 s (2..48 s)."""

EEGS_PER_PATIENT: tuple[int, ...] = (
    0, 296, 468, 359, 236, 117, 68, 46, 32, 25, 22, 16, 12, 12, 10, 8, 10, 7, 9, 11, 7, 6, 9,
    6, 6, 5, 1, 3, 6, 3, 134,
)  # fmt: skip
"""Number of patients by EEG count (index = EEGs, 0..30; patients with more counted at 30)."""

# ---------------------------------------------------------------------------------------------
# Geometry (Kaggle)
# ---------------------------------------------------------------------------------------------

EEG_START_IN_SLICE_SEC = int((SPECTROGRAM_WINDOW_SEC - EEG_WINDOW_SEC) // 2)
"""275 s: where a label row's EEG window starts inside its spectrogram slice (centred)."""

N_FFT = 1024
"""Samples per spectrogram frame (5.12 s at 200 Hz): bins 200/1024 Hz apart."""

FIRST_BIN, LAST_BIN = 3, 102
"""FFT bins of the Kaggle spectrogram columns: 3 * 200/1024 = 0.59 Hz .. 102 * 200/1024 = 19.92."""

MAX_DEMO_ROWS_PER_EEG = 60
"""Cap on label rows per demo EEG (the real maximum is 743), to keep files small."""

TEST_EEG_SAMPLES = 10_000
N_LATENT_SOURCES = 6

# Approximate 10-20 positions on a unit disc, x left (-) to right (+), y posterior (-) to
# anterior (+), aligned with EEG_CHANNELS.
_POSITIONS = np.array([
    (-0.3, 0.95), (-0.4, 0.5), (-0.5, 0.0), (-0.4, -0.5), (-0.8, 0.55), (-0.95, 0.0),
    (-0.8, -0.55), (-0.3, -0.95), (0.0, 0.5), (0.0, 0.0), (0.0, -0.5),
    (0.3, 0.95), (0.4, 0.5), (0.5, 0.0), (0.4, -0.5), (0.8, 0.55), (0.95, 0.0),
    (0.8, -0.55), (0.3, -0.95),
])  # fmt: skip
_CH = {name: i for i, name in enumerate(EEG_CHANNELS)}
_TEMPORAL = {"left": ("F7", "T3", "T5"), "right": ("F8", "T4", "T6")}

PROB_COLUMNS: tuple[str, ...] = tuple(f"{c}_prob" for c in CLASSES)


# ---------------------------------------------------------------------------------------------
# Spectrogram
# ---------------------------------------------------------------------------------------------


def kaggle_spectrogram(x: np.ndarray, *, sfreq: float = SFREQ) -> tuple[np.ndarray, np.ndarray]:
    """Kaggle-style 4-chain power spectrogram of a referential recording.

    Row ``i`` is centred at ``t_i = 1 + 2 i`` seconds after the first sample. Its frame is the
    1024 samples centred on ``t_i`` (the recording is reflect-padded at both ends), weighted by
    a periodic Hann window ``w``. For each chain of ``KAGGLE_CHAINS`` (LL, RL, LP, RP) the power
    is the mean over the chain's 4 bipolar derivations of ``|rfft(w * b)|^2 / (sfreq *
    sum(w^2))`` (uV^2/Hz, one-sided without doubling: on the 9 real recordings of
    ``shared/hms_real_mini`` this matches Kaggle's values to about 5%), at FFT bins 3..102
    (0.59..19.92 Hz, 200/1024 Hz apart). NaN samples count as 0.

    Parameters
    ----------
    x : array, shape (19, n_samples)
        Referential EEG in ``EEG_CHANNELS`` order, microvolts; at least 2 s long.
    sfreq : float
        Sampling rate in Hz (200 for Kaggle: the bins are ``sfreq / 1024`` apart).

    Returns
    -------
    times : array, shape (n_rows,), int64
        Row centres in seconds: 1, 3, 5, ...; ``n_rows = n_samples // (2 * sfreq)``.
    power : array, shape (n_rows, 400), float32
        Columns in ``SPECTROGRAM_COLUMNS`` order (chain-major, then frequency).

    Examples
    --------
    >>> t = np.arange(4000) / 200.0
    >>> x = np.sin(2 * np.pi * 10.0 * t) * np.arange(1, 20)[:, None]
    >>> times, power = kaggle_spectrogram(x, sfreq=200.0)
    >>> times.tolist(), power.shape, int(power[0, :100].argmax()) + 3
    ([1, 3, 5, 7, 9, 11, 13, 15, 17, 19], (10, 400), 51)
    """
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[0] != len(EEG_CHANNELS):
        raise ValueError(f"x must have shape (19, n_samples), got {x.shape}")
    hop = int(round(SPECTROGRAM_ROW_SEC * sfreq))
    n_rows = x.shape[1] // hop
    if n_rows < 1:
        raise ValueError(f"x has {x.shape[1]} samples; a spectrogram row needs {hop}")
    bipolar = to_bipolar(np.nan_to_num(x.astype(np.float32, copy=False)))
    pair_index = {pair: i for i, pair in enumerate(BIPOLAR_PAIRS)}
    rows = [pair_index[p] for chain in KAGGLE_CHAINS for p in CHAINS[chain.lower()]]
    half = N_FFT // 2
    padded = np.pad(bipolar[rows], ((0, 0), (half, half)), mode="reflect")
    centres = (np.arange(n_rows) * hop + hop // 2).astype(np.int64)  # in x samples
    window = np.hanning(N_FFT + 1)[:-1].astype(np.float32)
    scale = 1.0 / (sfreq * float(np.sum(window.astype(np.float64) ** 2)))
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT, axis=1)[:, centres]
    spectrum = scipy.fft.rfft(frames * window, axis=-1)[..., FIRST_BIN : LAST_BIN + 1]
    power = (spectrum.real**2 + spectrum.imag**2) * scale  # (16, n_rows, 100), chain-major
    power = power.reshape(len(KAGGLE_CHAINS), -1, n_rows, LAST_BIN - FIRST_BIN + 1).mean(axis=1)
    times = (np.arange(n_rows) * SPECTROGRAM_ROW_SEC + 1).astype(np.int64)
    return times, np.concatenate(list(power), axis=1).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Signal components: each returns microvolts, shape (19, n_samples) unless stated
# ---------------------------------------------------------------------------------------------


def _smooth_noise(rng: np.random.Generator, n_samples: int, *, sfreq: float, cutoff_hz: float):
    """Zero-mean unit-std noise low-passed below ``cutoff_hz`` (a slow random modulation)."""
    step = max(1, int(sfreq / (4 * cutoff_hz)))
    n_knots = n_samples // step + 10  # at least the kernel length, for "same" below
    knots = rng.standard_normal(n_knots)
    kernel = np.hanning(9)
    knots = np.convolve(knots, kernel / np.sqrt(np.sum(kernel**2)), mode="same")
    return np.interp(np.arange(n_samples) / step, np.arange(n_knots), knots)


def colored_noise(
    rng: np.random.Generator,
    n_series: int,
    n_samples: int,
    *,
    sfreq: float,
    exponent: float = 1.0,
    low_hz: float = 0.3,
    high_hz: float | None = None,
) -> np.ndarray:
    """Gaussian noise with power ~ 1/f^exponent between ``low_hz`` and ``high_hz``, unit std.

    Parameters
    ----------
    n_series, n_samples : int
        Output shape.
    exponent : float
        Spectral exponent (0 white, 1 pink, 2 brown).
    low_hz, high_hz : float
        Band edges in Hz (no power outside; ``high_hz`` None = Nyquist).

    Returns
    -------
    array, shape (n_series, n_samples), float64
        Each series scaled to unit standard deviation.
    """
    freqs = np.fft.rfftfreq(n_samples, 1.0 / sfreq)
    band = (freqs >= low_hz) & (freqs <= (high_hz if high_hz is not None else sfreq / 2))
    gain = np.zeros(len(freqs), dtype=np.float32)
    gain[band] = freqs[band] ** (-exponent / 2.0)
    # only the bins inside the band get random coefficients (float32: half the cost)
    first, stop = int(np.argmax(band)), len(band) - int(np.argmax(band[::-1]))
    spectrum = np.zeros((n_series, len(freqs)), dtype=np.complex64)
    shape = (n_series, stop - first)
    spectrum[:, first:stop].real = rng.standard_normal(shape, dtype=np.float32)
    spectrum[:, first:stop].imag = rng.standard_normal(shape, dtype=np.float32)
    spectrum[:, first:stop] *= gain[first:stop]
    out = scipy.fft.irfft(spectrum, n=n_samples, axis=-1).astype(np.float64)
    return out / np.maximum(out.std(axis=-1, keepdims=True), 1e-12)


def background(
    rng: np.random.Generator, n_samples: int, *, sfreq: float, amplitude_uv: float = 25.0
) -> np.ndarray:
    """Spatially correlated 1/f background: a few latent pink sources mixed onto the scalp.

    Each of ``N_LATENT_SOURCES`` sources sits at a random point of the head and reaches each
    electrode with a Gaussian fall-off of distance; an independent pink component per channel
    (30% of the power) keeps channels from being exact mixtures.

    Returns
    -------
    array, shape (19, n_samples), float64
        Microvolts, about ``amplitude_uv`` RMS per channel.
    """
    exponent = rng.uniform(1.0, 1.8)
    sources = colored_noise(rng, N_LATENT_SOURCES + 19, n_samples, sfreq=sfreq, exponent=exponent)
    centres = rng.uniform(-1.0, 1.0, size=(N_LATENT_SOURCES, 2))
    dist2 = ((_POSITIONS[:, None, :] - centres[None]) ** 2).sum(axis=-1)
    mixing = np.exp(-dist2 / (2 * 0.45**2))
    mixing /= np.sqrt((mixing**2).sum(axis=1, keepdims=True))
    shared = mixing @ sources[:N_LATENT_SOURCES]
    x = np.sqrt(0.7) * shared + np.sqrt(0.3) * sources[N_LATENT_SOURCES:]
    return amplitude_uv * x


def alpha_rhythm(
    rng: np.random.Generator, n_samples: int, *, sfreq: float, amplitude_uv: float
) -> np.ndarray:
    """Posterior alpha: narrow-band 8-12 Hz activity, strongest on O1/O2, then P3/P4/Pz.

    Returns
    -------
    array, shape (19, n_samples), float64
        Microvolts; ``amplitude_uv`` is the waxing-waning peak amplitude on O1/O2.
    """
    peak_hz = rng.uniform(8.0, 12.0)
    freqs = np.fft.rfftfreq(n_samples, 1.0 / sfreq)
    gain = np.exp(-0.5 * ((freqs - peak_hz) / 0.5) ** 2)
    spectrum = (rng.standard_normal(len(freqs)) + 1j * rng.standard_normal(len(freqs))) * gain
    wave = np.fft.irfft(spectrum, n=n_samples)
    wave /= max(wave.std(), 1e-12) * np.sqrt(2)
    envelope = 0.6 + 0.4 * np.tanh(_smooth_noise(rng, n_samples, sfreq=sfreq, cutoff_hz=0.2))
    posterior = np.clip(-_POSITIONS[:, 1], 0.0, None) ** 1.5 + 0.05
    return amplitude_uv * posterior[:, None] * (wave * envelope)[None]


def ekg(rng: np.random.Generator, n_samples: int, *, sfreq: float) -> np.ndarray:
    """EKG channel: P-QRS-T complexes at 60-100 beats per minute.

    Returns
    -------
    array, shape (n_samples,), float64
        Microvolts; the R wave peaks at 200-800 uV.
    """
    rate_hz = rng.uniform(60.0, 100.0) / 60.0
    n_beats = int(n_samples / sfreq * rate_hz) + 2
    intervals = (1.0 / rate_hz) * (1.0 + 0.03 * rng.standard_normal(n_beats))
    beats = np.rint((np.cumsum(intervals) - rng.uniform(0, 1 / rate_hz)) * sfreq).astype(int)
    t = np.arange(-0.3, 0.5, 1.0 / sfreq)
    parts = ((-0.18, 0.025, 0.12), (-0.03, 0.008, -0.15), (0.0, 0.012, 1.0), (0.03, 0.01, -0.25),
             (0.25, 0.045, 0.3))  # fmt: skip
    kernel = sum(a * np.exp(-0.5 * ((t - c) / s) ** 2) for c, s, a in parts)
    impulses = np.zeros(n_samples + len(t))
    beats = beats[(beats >= 0) & (beats < n_samples)]
    impulses[beats] = rng.uniform(200.0, 800.0)
    out = np.convolve(impulses, kernel)[int(0.3 * sfreq) : int(0.3 * sfreq) + n_samples]
    return out + 10.0 * colored_noise(rng, 1, n_samples, sfreq=sfreq)[0]


def eye_blinks(
    rng: np.random.Generator, n_samples: int, *, sfreq: float, rate_hz: float
) -> np.ndarray:
    """Eye blinks: 0.2-0.4 s monophasic deflections of 80-200 uV, maximal on Fp1/Fp2.

    Returns
    -------
    array, shape (19, n_samples), float64
        Microvolts; frontal fall-off Fp 1, F ~0.4, F7/F8 ~0.3, C ~0.1, posterior ~0.
    """
    out = np.zeros((len(EEG_CHANNELS), n_samples))
    n_blinks = rng.poisson(rate_hz * n_samples / sfreq)
    if n_blinks == 0:
        return out
    width = rng.uniform(0.2, 0.4)
    t = np.arange(-width, width, 1.0 / sfreq)
    kernel = np.exp(-0.5 * (t / (width / 4)) ** 2)
    impulses = np.zeros(n_samples)
    at = rng.integers(0, n_samples, size=n_blinks)
    impulses[at] = rng.uniform(80.0, 200.0, size=n_blinks)
    wave = np.convolve(impulses, kernel, mode="same")
    frontal = np.clip(_POSITIONS[:, 1], 0.0, None) ** 4
    return frontal[:, None] * wave[None]


def muscle_bursts(
    rng: np.random.Generator, n_samples: int, *, sfreq: float, bursts_per_min: float
) -> np.ndarray:
    """Muscle artifact: 20-70 Hz bursts of 0.5-4 s, 10-40 uV RMS, on the temporal channels.

    Returns
    -------
    array, shape (19, n_samples), float64
        Microvolts; each burst on one side (F7/T3/T5 or F8/T4/T6).
    """
    out = np.zeros((len(EEG_CHANNELS), n_samples))
    n_bursts = rng.poisson(bursts_per_min * n_samples / sfreq / 60.0)
    if n_bursts == 0:
        return out
    noise = colored_noise(rng, 2, n_samples, sfreq=sfreq, exponent=0.0, low_hz=20, high_hz=70)
    for _ in range(n_bursts):
        side = int(rng.integers(2))
        length = int(rng.uniform(0.5, 4.0) * sfreq)
        start = int(rng.integers(0, max(1, n_samples - length)))
        taper = np.hanning(length)
        rows = [_CH[c] for c in _TEMPORAL[("left", "right")[side]]]
        burst = rng.uniform(10.0, 40.0) * taper * noise[side, start : start + length]
        out[rows, start : start + len(burst)] += burst[: n_samples - start]
    return out


def _hemisphere_weights(side: int, laterality: float, focus: np.ndarray) -> np.ndarray:
    """Per-channel weight of a hemispheric field: ipsilateral 1 at ``focus``, contralateral x
    ``1 - laterality``; side -1 = left, +1 = right."""
    mirrored = focus * np.array([-1.0, 1.0])
    near = np.exp(-((_POSITIONS - focus) ** 2).sum(axis=1) / (2 * 0.7**2))
    far = np.exp(-((_POSITIONS - mirrored) ** 2).sum(axis=1) / (2 * 0.7**2))
    ipsi = _POSITIONS[:, 0] * side > 0
    contra = _POSITIONS[:, 0] * side < 0
    midline = ~ipsi & ~contra
    w = np.where(ipsi, near, 0.0)
    w = np.where(contra, (1.0 - laterality) * np.maximum(far, near), w)
    w = np.where(midline, (1.0 - laterality / 2) * np.maximum(near, far), w)
    return w / w.max()


def _side_focus(rng: np.random.Generator, side: int) -> np.ndarray:
    return np.array([side * rng.uniform(0.3, 0.9), rng.uniform(-0.7, 0.7)])


def seizure_activity(
    rng: np.random.Generator, n_samples: int, *, sfreq: float, amplitude_uv: float
) -> np.ndarray:
    """Evolving rhythmic seizure activity in the 2.5-12 Hz range.

    Seizures of 40-120 s follow each other with 2-8 s gaps. Within one, the frequency drifts
    from 6-11 Hz down to 2.5-4 Hz and the amplitude grows from 30% to 100%; the field starts
    around a random focus and spreads over 5-20 s (to a field of 0.8 head radii s.d., so that
    it keeps the gradients that bipolar derivations see). The waveform is a sine with
    a second harmonic (sharpened, "spiky" rhythm).

    Returns
    -------
    array, shape (19, n_samples), float64
        Microvolts; ``amplitude_uv`` is the peak envelope at the focus.
    """
    out = np.zeros((len(EEG_CHANNELS), n_samples))
    focus = rng.uniform(-0.8, 0.8, size=2)
    dist2 = ((_POSITIONS - focus) ** 2).sum(axis=1)
    start = -int(rng.uniform(0.0, 30.0) * sfreq)  # the first seizure may have begun earlier
    while start < n_samples:
        length = int(rng.uniform(40.0, 120.0) * sfreq)
        tau = np.arange(max(start, 0), min(start + length, n_samples)) - start
        if len(tau):
            frac = tau / length
            f0, f1 = rng.uniform(6.0, 11.0), rng.uniform(2.5, 4.0)
            freq = f0 + (f1 - f0) * frac
            phase = 2 * np.pi * np.cumsum(freq) / sfreq + rng.uniform(0, 2 * np.pi)
            wave = np.sin(phase) + 0.35 * np.sin(2 * phase + 0.5)
            envelope = 0.3 + 0.7 * frac**0.7
            envelope *= np.clip((length - tau) / (2.0 * sfreq), 0.0, 1.0)
            spread = 0.3 + 0.5 * np.clip(tau / (rng.uniform(5.0, 20.0) * sfreq), 0.0, 1.0)
            # the spatial field changes slowly: evaluate on a 0.1 s grid, hold in between
            step = max(1, int(0.1 * sfreq))
            coarse = np.exp(-dist2[:, None] / (2 * spread[::step][None] ** 2))
            field = np.repeat(coarse, step, axis=1)[:, : len(tau)]
            out[:, tau + start] = field * (envelope * wave)[None]
        start += length + int(rng.uniform(2.0, 8.0) * sfreq)
    return amplitude_uv * out


def periodic_discharges(
    rng: np.random.Generator,
    n_samples: int,
    *,
    sfreq: float,
    amplitude_uv: float,
    rate_hz: float,
    side: int,
    laterality: float,
) -> np.ndarray:
    """Periodic discharges (LPD when ``laterality`` is 1, GPD when 0) at ``rate_hz``.

    Each discharge is a sharp transient (a 70-200 ms spike-and-slow component: a narrow Gaussian
    of 12-25 ms s.d. followed by an opposite slower wave) repeating every ``1 / rate_hz`` s
    with 8% jitter and +-20% amplitude variation.

    Parameters
    ----------
    amplitude_uv : float
        Peak amplitude at the focus, microvolts.
    rate_hz : float
        Discharge rate, 0.5-2.5 Hz clinically.
    side : int
        -1 left, +1 right hemisphere.
    laterality : float
        0 = bilateral synchronous (generalised), 1 = one hemisphere only.

    Returns
    -------
    array, shape (19, n_samples), float64
        Microvolts.
    """
    if side not in (-1, 1) or not 0.0 <= laterality <= 1.0 or rate_hz <= 0:
        raise ValueError("side must be -1 or 1, laterality in [0, 1] and rate_hz > 0")
    n_events = int(n_samples / sfreq * rate_hz) + 2
    intervals = (1.0 / rate_hz) * (1.0 + 0.08 * rng.standard_normal(n_events))
    at = np.rint((np.cumsum(intervals) - rng.uniform(0, 1 / rate_hz)) * sfreq).astype(int)
    at = at[(at >= 0) & (at < n_samples)]
    sd_sharp, sd_slow = rng.uniform(0.012, 0.025), rng.uniform(0.04, 0.07)
    lag = rng.uniform(0.06, 0.1)
    t = np.arange(-0.15, 0.35, 1.0 / sfreq)
    kernel = -np.exp(-0.5 * (t / sd_sharp) ** 2) + 0.45 * np.exp(-0.5 * ((t - lag) / sd_slow) ** 2)
    impulses = np.zeros(n_samples + len(t))
    impulses[at] = rng.uniform(0.8, 1.2, size=len(at))
    start = int(0.15 * sfreq)
    wave = np.convolve(impulses, kernel)[start : start + n_samples]
    field = _hemisphere_weights(side, laterality, _side_focus(rng, side))
    return amplitude_uv * field[:, None] * wave[None]


def rhythmic_delta(
    rng: np.random.Generator,
    n_samples: int,
    *,
    sfreq: float,
    amplitude_uv: float,
    freq_hz: float,
    side: int,
    laterality: float,
) -> np.ndarray:
    """Rhythmic delta activity (LRDA when ``laterality`` is 1, GRDA when 0) at ``freq_hz``.

    A roughly sinusoidal wave (a small second harmonic, +-5% slow frequency wobble, waxing and
    waning), frontally predominant: the field is scaled from 1 at the front of the head to 0.5
    at the back.

    Parameters
    ----------
    amplitude_uv : float
        Peak amplitude at the focus, microvolts.
    freq_hz : float
        Frequency, 0.5-3 Hz clinically.
    side, laterality
        As in ``periodic_discharges``.

    Returns
    -------
    array, shape (19, n_samples), float64
        Microvolts.
    """
    if side not in (-1, 1) or not 0.0 <= laterality <= 1.0 or freq_hz <= 0:
        raise ValueError("side must be -1 or 1, laterality in [0, 1] and freq_hz > 0")
    wobble = 1.0 + 0.05 * _smooth_noise(rng, n_samples, sfreq=sfreq, cutoff_hz=0.05)
    phase = 2 * np.pi * np.cumsum(freq_hz * wobble) / sfreq + rng.uniform(0, 2 * np.pi)
    wave = np.sin(phase) + 0.15 * np.sin(2 * phase)
    envelope = 0.7 + 0.3 * np.tanh(_smooth_noise(rng, n_samples, sfreq=sfreq, cutoff_hz=0.05))
    focus = np.array([side * rng.uniform(0.3, 0.8), rng.uniform(0.0, 0.8)])
    frontal = 0.75 + 0.25 * _POSITIONS[:, 1]
    field = _hemisphere_weights(side, laterality, focus) * frontal
    return amplitude_uv * field[:, None] * (wave * envelope)[None]


# ---------------------------------------------------------------------------------------------
# Labels: truth, votes, rows, patients
# ---------------------------------------------------------------------------------------------


def _draw_from_histogram(rng: np.random.Generator, counts, size: int) -> np.ndarray:
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
    main = _draw_from_histogram(rng, CLASS_PRIOR[regime], size)
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
    return _draw_from_histogram(rng, counts, size).astype(np.int64)


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
    gaps = 2.0 * _draw_from_histogram(rng, OFFSET_GAPS, n_rows - 1)
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
        size = int(min(_draw_from_histogram(rng, EEGS_PER_PATIENT, 1)[0], cap))
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


# ---------------------------------------------------------------------------------------------
# One recording
# ---------------------------------------------------------------------------------------------


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
    background_uv: float
    alpha_uv: float
    seed: np.random.SeedSequence


def recording_signal(plan: RecordingPlan, *, sfreq: float = SFREQ) -> np.ndarray:
    """The referential signal of a whole spectrogram span, before NaN runs.

    Returns
    -------
    array, shape (20, spectrogram_rows * 2 * sfreq), float64
        ``RAW_COLUMNS`` order (19 EEG channels + EKG), microvolts; sample 0 = spectrogram time 0.
    """
    rng = np.random.default_rng(plan.seed)
    n = int(plan.spectrogram_rows * SPECTROGRAM_ROW_SEC * sfreq)
    p = dict(zip(CLASSES, plan.truth, strict=True))
    x = background(rng, n, sfreq=sfreq, amplitude_uv=plan.background_uv)
    if plan.alpha_uv > 0:
        x += alpha_rhythm(rng, n, sfreq=sfreq, amplitude_uv=plan.alpha_uv)
    if p["seizure"] > 0.02:
        x += seizure_activity(rng, n, sfreq=sfreq, amplitude_uv=130.0 * p["seizure"])
    pd_share = p["lpd"] + p["gpd"]
    if pd_share > 0.02:
        x += periodic_discharges(
            rng,
            n,
            sfreq=sfreq,
            amplitude_uv=160.0 * pd_share,
            rate_hz=rng.uniform(0.5, 2.5),
            side=plan.side,
            laterality=p["lpd"] / pd_share,
        )
    rda_share = p["lrda"] + p["grda"]
    if rda_share > 0.02:
        x += rhythmic_delta(
            rng,
            n,
            sfreq=sfreq,
            amplitude_uv=110.0 * rda_share,
            freq_hz=rng.uniform(0.7, 2.8),
            side=plan.side,
            laterality=p["lrda"] / rda_share,
        )
    if rng.random() < 0.5:
        x += eye_blinks(rng, n, sfreq=sfreq, rate_hz=rng.uniform(0.05, 0.3))
    x += muscle_bursts(rng, n, sfreq=sfreq, bursts_per_min=rng.uniform(0.0, 4.0))
    heart = ekg(rng, n, sfreq=sfreq)
    leaky = rng.choice(len(EEG_CHANNELS), size=4, replace=False)
    x[leaky] += rng.uniform(0.005, 0.03, size=(4, 1)) * heart[None]
    bad = rng.random()
    if bad < 0.03:
        x[rng.integers(len(EEG_CHANNELS))] = 0.0  # flat (disconnected) channel
    elif bad < 0.05:
        x[rng.integers(len(EEG_CHANNELS))] = np.nan  # channel missing from the export
    return np.vstack([x, heart[None]])


def _nan_runs(rng: np.random.Generator, eeg: np.ndarray, *, sfreq: float) -> None:
    """Blank 1-3 runs of 0.1-2 s on all columns, in place, in 15% of recordings."""
    if rng.random() >= 0.15:
        return
    for _ in range(int(rng.integers(1, 4))):
        length = int(rng.uniform(0.1, 2.0) * sfreq)
        start = int(rng.integers(0, max(1, eeg.shape[0] - length)))
        eeg[start : start + length] = np.nan


@functools.cache
def _parquet_schema(columns: tuple[str, ...], dtypes: tuple[str, ...]) -> pa.Schema:
    """Arrow schema with the pandas metadata Kaggle's files carry (built once per layout)."""
    empty = pd.DataFrame({c: np.zeros(0, dtype=d) for c, d in zip(columns, dtypes, strict=True)})
    return pa.Schema.from_pandas(empty, preserve_index=False)


def _write_parquet(columns: dict[str, np.ndarray], path: Path) -> None:
    """Write 1-D column arrays (in order) as one snappy parquet file, atomically."""
    names = tuple(columns)
    schema = _parquet_schema(names, tuple(str(a.dtype) for a in columns.values()))
    table = pa.Table.from_arrays([pa.array(a) for a in columns.values()], schema=schema)
    write_atomic(
        path, lambda tmp: pq.write_table(table, tmp, compression="snappy", use_dictionary=False)
    )


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False, lineterminator="\n"))


def write_recording(plan: RecordingPlan, out_dir: Path, *, sfreq: float = SFREQ) -> None:
    """Generate one recording and write its EEG and spectrogram parquet files."""
    x = recording_signal(plan, sfreq=sfreq)
    times, power = kaggle_spectrogram(x[: len(EEG_CHANNELS)], sfreq=sfreq)
    start = int(plan.eeg_start_sec * sfreq)
    eeg = x[:, start : start + plan.eeg_samples].T.astype(np.float32)
    _nan_runs(np.random.default_rng(plan.seed.spawn(1)[0]), eeg, sfreq=sfreq)
    eeg = np.ascontiguousarray(eeg.T)
    eeg_columns = dict(zip(RAW_COLUMNS, eeg, strict=True))
    # Kaggle's train spectrograms store time as int64, its test spectrogram as int16
    time_dtype = np.int64 if plan.split == "train" else np.int16
    spec_columns = {"time": times.astype(time_dtype)}
    spec_columns.update(zip(SPECTROGRAM_COLUMNS, np.ascontiguousarray(power.T), strict=True))
    _write_parquet(eeg_columns, out_dir / f"{plan.split}_eegs" / f"{plan.eeg_id}.parquet")
    _write_parquet(
        spec_columns, out_dir / f"{plan.split}_spectrograms" / f"{plan.spectrogram_id}.parquet"
    )


# ---------------------------------------------------------------------------------------------
# The data set
# ---------------------------------------------------------------------------------------------


def _check_arguments(out_dir: Path, n_eegs: int, seed: int, n_jobs: int) -> None:
    for name, value in (("n_eegs", n_eegs), ("seed", seed), ("n_jobs", n_jobs)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise ValueError(f"{name} must be an integer, got {value!r}")
    if n_eegs < 1:
        raise ValueError(f"n_eegs must be >= 1, got {n_eegs}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    if n_jobs == 0:
        raise ValueError("n_jobs must be a positive number of workers or negative (-1 = all)")
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"{out_dir} exists and is not a folder")


def _plan_dataset(
    rng: np.random.Generator, n_eegs: int, seed: int, rows_per_eeg: np.ndarray | None = None
):
    """Decide ids, labels, truth and geometry of every recording (cheap; no signals)."""
    n_test = max(2, n_eegs // 30)
    sizes = sample_patient_sizes(rng, n_eegs)
    patient_ids = unique_ids(rng, len(sizes) + n_test, 1, 65_536)
    eeg_ids = unique_ids(rng, n_eegs + n_test, 100_000, 2**32)
    spec_ids = unique_ids(rng, n_eegs + n_test, 1_000, 2**31)
    # patient traits: background level, alpha (absent in half of ICU patients), lesion side
    n_pat = len(patient_ids)
    bg_uv = 25.0 * np.exp(0.3 * rng.standard_normal(n_pat))
    alpha_uv = np.where(rng.random(n_pat) < 0.5, 0.0, rng.uniform(10.0, 30.0, n_pat))
    side = rng.choice([-1, 1], size=n_pat)
    owner = np.concatenate(
        [np.repeat(np.arange(len(sizes)), sizes), len(sizes) + np.arange(n_test)]
    )

    regime = np.where(rng.random(n_eegs) < HIGH_REGIME_SHARE, "high", "low")
    regime = np.concatenate([regime, np.full(n_test, "high")])
    truth = np.zeros((n_eegs + n_test, len(CLASSES)))
    n_votes = np.zeros(n_eegs + n_test, dtype=np.int64)
    n_rows = np.ones(n_eegs + n_test, dtype=np.int64)
    for name in REGIMES:
        idx = np.flatnonzero(regime == name)
        truth[idx] = sample_truth(rng, name, len(idx))
        n_votes[idx] = sample_vote_totals(rng, name, len(idx))
        rows = _draw_from_histogram(rng, ROWS_PER_EEG[name], len(idx))
        n_rows[idx] = np.minimum(rows, MAX_DEMO_ROWS_PER_EEG)
    if rows_per_eeg is not None:
        n_rows[:n_eegs] = rows_per_eeg
    n_rows[n_eegs:] = 1
    # the test EEGs stand for the competition's hidden test set: rows with >= 10 votes
    n_votes[n_eegs:] = sample_vote_totals(rng, "high", n_test, min_votes=RELIABLE_MIN_VOTES)
    same = rng.random(n_eegs + n_test) < np.array([IDENTICAL_VOTES_SHARE[r] for r in regime])

    children = np.random.SeedSequence([seed, 0x44454D4F]).spawn(n_eegs + n_test)
    label_rows, truth_rows, plans, solution = [], [], [], []
    label_ids = unique_ids(rng, int(n_rows[:n_eegs].sum()), 0, 2**32)
    next_label = 0
    for i in range(n_eegs + n_test):
        split = "train" if i < n_eegs else "test"
        pat = owner[i]
        offsets = sample_offsets(rng, int(n_rows[i])) if split == "train" else np.zeros(1)
        # spectrogram offset of EEG offset 0: half the recordings start their spectrogram
        # with the EEG's first window, the others up to 2 minutes earlier
        shift = 0 if split == "test" or rng.random() < 0.5 else 2 * int(rng.integers(1, 61))
        extra = 0 if split == "test" else int(rng.integers(0, 6))
        spec_rows = int((shift + int(offsets[-1]) + SPECTROGRAM_WINDOW_SEC) // SPECTROGRAM_ROW_SEC)
        plans.append(
            RecordingPlan(
                split=split,
                eeg_id=int(eeg_ids[i]),
                spectrogram_id=int(spec_ids[i]),
                truth=truth[i],
                eeg_samples=int((EEG_WINDOW_SEC + offsets[-1]) * SFREQ),
                eeg_start_sec=shift + EEG_START_IN_SLICE_SEC,
                spectrogram_rows=int(spec_rows + extra),
                side=int(side[pat]),
                background_uv=float(bg_uv[pat]),
                alpha_uv=float(alpha_uv[pat]),
                seed=children[i],
            )
        )
        if split == "test":
            votes = sample_votes(rng, truth[i], int(n_votes[i]), 1, identical=True)
            solution.append((int(eeg_ids[i]), int(patient_ids[pat]), *votes[0]))
            truth_rows.append(("test", int(eeg_ids[i]), None, *truth[i]))
            continue
        votes = sample_votes(rng, truth[i], int(n_votes[i]), int(n_rows[i]), identical=same[i])
        for j, offset in enumerate(offsets):
            label_id = int(label_ids[next_label])
            next_label += 1
            label_rows.append(
                (int(eeg_ids[i]), j, float(offset), int(spec_ids[i]), j, float(offset + shift),
                 label_id, int(patient_ids[pat]), CONSENSUS_NAMES[int(np.argmax(votes[j]))],
                 *(int(v) for v in votes[j]))
            )  # fmt: skip
            truth_rows.append(("train", int(eeg_ids[i]), label_id, *truth[i]))
    train = pd.DataFrame(label_rows, columns=list(TRAIN_COLUMNS))
    train = train.sort_values(["eeg_id", "eeg_sub_id"], kind="stable").reset_index(drop=True)
    truth_frame = pd.DataFrame(truth_rows, columns=["split", "eeg_id", "label_id", *PROB_COLUMNS])
    truth_frame["label_id"] = truth_frame["label_id"].astype("Int64")
    solution_frame = pd.DataFrame(solution, columns=["eeg_id", "patient_id", *VOTE_COLUMNS])
    return plans, train, truth_frame, solution_frame, n_pat


def write_demo_dataset(
    out_dir: Path,
    *,
    n_eegs: int = 300,
    seed: int = 0,
    n_jobs: int = -1,
    progress: bool = True,
    rows_per_eeg: np.ndarray | None = None,
) -> dict:
    """Write a demo data set in the Kaggle HMS layout (see the module docstring).

    Parameters
    ----------
    out_dir : Path
        Target folder, created if needed. Files of the layout are overwritten (each atomically:
        written under a temporary name, then renamed); other files are left alone.
    n_eegs : int
        Train EEGs (each with its own spectrogram). ``max(2, n_eegs // 30)`` test EEGs, of
        patients not in train, come on top.
    seed : int
        Same seed, same files (CSV bytes and parquet contents), whatever ``n_jobs``.
    n_jobs : int
        joblib workers over recordings (-1 = all cores).
    progress : bool
        Show a tqdm bar over recordings.
    rows_per_eeg : array of int, optional
        Label rows of each train EEG (length ``n_eegs``), instead of drawing them from the
        embedded distribution capped at ``MAX_DEMO_ROWS_PER_EEG`` (the benchmark passes the
        real, uncapped distribution).

    Returns
    -------
    dict
        ``n_train_eegs``, ``n_test_eegs``, ``n_patients``, ``n_label_rows``, ``seconds``,
        ``paths`` (file or folder name -> path string), and the label baselines on the train
        rows: ``uniform_kl``, ``prior_kl`` and ``oracle_kl`` (votes vs the true probabilities).
    """
    started = time.perf_counter()
    out_dir = Path(out_dir)
    _check_arguments(out_dir, n_eegs, seed, n_jobs)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x4C41424C]))
    if rows_per_eeg is not None:
        rows_per_eeg = np.asarray(rows_per_eeg, dtype=np.int64)
        if rows_per_eeg.shape != (n_eegs,) or np.any(rows_per_eeg < 1):
            raise ValueError(f"rows_per_eeg must hold {n_eegs} positive counts")
    plans, train, truth, solution, n_patients = _plan_dataset(
        rng, int(n_eegs), int(seed), rows_per_eeg
    )
    for sub in ("train_eegs", "train_spectrograms", "test_eegs", "test_spectrograms"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)

    tasks = (delayed(write_recording)(plan, out_dir) for plan in plans)
    results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(tasks)
    for _ in tqdm(results, total=len(plans), desc="demo recordings", disable=not progress):
        pass

    test = solution[["eeg_id", "patient_id"]].copy()
    test.insert(0, "spectrogram_id", [p.spectrogram_id for p in plans if p.split == "test"])
    submission = pd.DataFrame({"eeg_id": test["eeg_id"]})
    for column in VOTE_COLUMNS:
        submission[column] = 1.0 / len(VOTE_COLUMNS)
    paths = {
        "train.csv": out_dir / "train.csv",
        "test.csv": out_dir / "test.csv",
        "sample_submission.csv": out_dir / "sample_submission.csv",
        "demo_truth.csv": out_dir / "demo_truth.csv",
        "demo_test_solution.csv": out_dir / "demo_test_solution.csv",
    }
    _write_csv(train, paths["train.csv"])
    _write_csv(test, paths["test.csv"])
    _write_csv(submission, paths["sample_submission.csv"])
    _write_csv(truth, paths["demo_truth.csv"])
    _write_csv(solution.drop(columns="patient_id"), paths["demo_test_solution.csv"])
    for sub in ("train_eegs", "train_spectrograms", "test_eegs", "test_spectrograms"):
        paths[sub] = out_dir / sub

    votes = train[list(VOTE_COLUMNS)].to_numpy(dtype=np.float64)
    y = votes / votes.sum(axis=1, keepdims=True)
    row_truth = truth[truth["split"] == "train"].set_index("label_id").loc[train["label_id"]]
    return {
        "n_train_eegs": int(n_eegs),
        "n_test_eegs": len(test),
        "n_patients": int(n_patients),
        "n_label_rows": len(train),
        "seconds": round(time.perf_counter() - started, 2),
        "paths": {name: str(path) for name, path in paths.items()},
        "uniform_kl": kl_divergence(y, np.full_like(y, 1.0 / y.shape[1])),
        "prior_kl": kl_divergence(y, np.broadcast_to(y.mean(axis=0), y.shape)),
        "oracle_kl": kl_divergence(y, row_truth[list(PROB_COLUMNS)].to_numpy()),
        "reliable_share": float(np.mean(votes.sum(axis=1) >= RELIABLE_MIN_VOTES)),
    }
