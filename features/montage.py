"""Channel names, the bipolar double-banana montage and the NaN policy, defined once.

The Kaggle EEG parquet files hold 19 referential scalp channels plus EKG at 200 Hz in
microvolts. Everything downstream works on the 18 bipolar derivations below.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np

SFREQ = 200.0
"""Sampling rate of every Kaggle EEG, in Hz."""

EEG_CHANNELS: tuple[str, ...] = (
    "Fp1", "F3", "C3", "P3", "F7", "T3", "T5", "O1", "Fz", "Cz", "Pz",
    "Fp2", "F4", "C4", "P4", "F8", "T4", "T6", "O2",
)  # fmt: skip
"""The 19 scalp channels, in the column order of the Kaggle parquet files."""

EKG_CHANNEL = "EKG"
RAW_COLUMNS: tuple[str, ...] = (*EEG_CHANNELS, EKG_CHANNEL)
"""All 20 columns of a Kaggle EEG parquet file, in order."""

CHAINS: dict[str, tuple[tuple[str, str], ...]] = {
    "ll": (("Fp1", "F7"), ("F7", "T3"), ("T3", "T5"), ("T5", "O1")),
    "lp": (("Fp1", "F3"), ("F3", "C3"), ("C3", "P3"), ("P3", "O1")),
    "rp": (("Fp2", "F4"), ("F4", "C4"), ("C4", "P4"), ("P4", "O2")),
    "rl": (("Fp2", "F8"), ("F8", "T4"), ("T4", "T6"), ("T6", "O2")),
    "cz": (("Fz", "Cz"), ("Cz", "Pz")),
}
"""Bipolar chains: left lateral, left parasagittal, right parasagittal, right lateral, central."""

KAGGLE_CHAINS: tuple[str, ...] = ("LL", "RL", "LP", "RP")
"""The four chains of the Kaggle spectrogram files, in their column order."""

BIPOLAR_PAIRS: tuple[tuple[str, str], ...] = tuple(p for pairs in CHAINS.values() for p in pairs)
BIPOLAR_NAMES: tuple[str, ...] = tuple(f"{a}-{b}".lower() for a, b in BIPOLAR_PAIRS)
"""The 18 bipolar derivations, e.g. ``fp1-f7``, grouped by chain in the order of ``CHAINS``."""

REGIONS: dict[str, tuple[str, str]] = {"temporal": ("ll", "rl"), "parasag": ("lp", "rp")}
"""Left and right chain of each region; their derivations are homologous one to one."""

CHAIN_OF_BIPOLAR: tuple[str, ...] = tuple(c for c, pairs in CHAINS.items() for _ in pairs)

CHAIN_WEIGHTS: np.ndarray = np.array(
    [[c == chain for chain in CHAINS] for c in CHAIN_OF_BIPOLAR], dtype=np.float64
)
CHAIN_WEIGHTS /= CHAIN_WEIGHTS.sum(axis=0)
"""(18, 5) averaging weights: ``per_channel @ CHAIN_WEIGHTS`` is the mean over each chain."""
"""The chain of each bipolar derivation, aligned with ``BIPOLAR_NAMES``."""

CLIP_UV = 1024.0
"""Referential samples are clipped to +-CLIP_UV microvolts (amplifier saturation, pops)."""

MAX_INTERP_GAP_SEC = 1.0
"""NaN runs up to this long are linearly interpolated; longer runs are set to zero."""


def chain_mean(values: np.ndarray, *, axis: int = -1) -> np.ndarray:
    """Mean over each chain's derivations: the 18-long ``axis`` becomes 5 (chains in ``CHAINS``
    order), in the precision of ``values`` (one product with the averaging weights).

    >>> chain_mean(np.arange(18.0)).tolist()
    [1.5, 5.5, 9.5, 13.5, 16.5]
    >>> chain_mean(np.ones((2, 18, 3), np.float32), axis=-2).shape
    (2, 5, 3)
    """
    values = np.asarray(values)
    weights = CHAIN_WEIGHTS.astype(np.result_type(values.dtype, np.float32), copy=False)
    if axis in (-1, values.ndim - 1):
        return values @ weights
    return np.swapaxes(np.swapaxes(values, axis, -1) @ weights, axis, -1)


def bipolar_index() -> tuple[np.ndarray, np.ndarray]:
    """Indices into ``EEG_CHANNELS`` of the anode and cathode of each bipolar derivation."""
    pos = {name: i for i, name in enumerate(EEG_CHANNELS)}
    anode = np.array([pos[a] for a, _ in BIPOLAR_PAIRS])
    cathode = np.array([pos[b] for _, b in BIPOLAR_PAIRS])
    return anode, cathode


def to_bipolar(x: np.ndarray) -> np.ndarray:
    """Referential channels to the 18 bipolar derivations.

    Parameters
    ----------
    x : array, shape (..., 19, n_samples)
        Referential EEG in ``EEG_CHANNELS`` order (EKG excluded), microvolts.

    Returns
    -------
    array, shape (..., 18, n_samples), float32
        ``x[anode] - x[cathode]`` for each pair of ``BIPOLAR_PAIRS``.
    """
    if x.shape[-2] != len(EEG_CHANNELS):
        raise ValueError(
            f"expected {len(EEG_CHANNELS)} referential channels on axis -2, got shape {x.shape}"
        )
    anode, cathode = bipolar_index()
    return (x[..., anode, :] - x[..., cathode, :]).astype(np.float32, copy=False)


def _kaggle_freq_label(k: int) -> str:
    # Kaggle's names round half up and drop trailing zeros: 3.125 Hz -> "3.13", 4.1015625 -> "4.1".
    exact = Decimal(k * 25) / Decimal(128)
    return str(float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)))


SPECTROGRAM_FREQS_HZ: np.ndarray = np.arange(3, 103) * (SFREQ / 1024)
"""Centre frequencies of the 100 Kaggle spectrogram bins, 0.586..19.92 Hz, 200/1024 Hz apart."""

SPECTROGRAM_COLUMNS: tuple[str, ...] = tuple(
    f"{chain}_{_kaggle_freq_label(k)}" for chain in KAGGLE_CHAINS for k in range(3, 103)
)
"""The 400 power columns of a Kaggle spectrogram parquet file (after ``time``), in order."""
