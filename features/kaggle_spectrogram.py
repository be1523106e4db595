"""Kaggle-style 4-chain power spectrogram computed from a referential EEG.

Kaggle's HMS spectrogram files hold, every 2 s, the power of four bipolar chains (LL, RL, LP, RP)
at 100 frequencies 0.59..19.92 Hz. ``kaggle_spectrogram`` rebuilds that view from the EEG itself,
so that generated data (``pipelines.demo``) and recordings without a spectrogram file (hospital
EDF) get one laid out exactly as Kaggle's. Pure array code: NumPy and SciPy only.
"""

from __future__ import annotations

import numpy as np
import scipy.fft

from features.montage import BIPOLAR_PAIRS, CHAINS, EEG_CHANNELS, KAGGLE_CHAINS, SFREQ, to_bipolar
from features.windows import SPECTROGRAM_ROW_SEC

N_FFT = 1024
"""Samples per spectrogram frame (5.12 s at 200 Hz): bins 200/1024 Hz apart."""

FIRST_BIN, LAST_BIN = 3, 102
"""FFT bins of the Kaggle spectrogram columns: 3 * 200/1024 = 0.59 Hz .. 102 * 200/1024 = 19.92."""


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
