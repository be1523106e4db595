"""The six classes' patterns in the demo signal: seizure, periodic discharges, rhythmic delta.

Each returns microvolts, shape (19, n_samples) in ``EEG_CHANNELS`` order.
"""

from __future__ import annotations

import numpy as np

from features.montage import EEG_CHANNELS
from pipelines.demo.signals import POSITIONS, smooth_noise

FIELD_SD = 0.5
"""S.d. (head radii) of the Gaussian field of periodic discharges and rhythmic delta (0.7
before: so broad that the bipolar derivations, which see differences between neighbours, kept
a tenth of the pattern; the real LPD and seizure recordings' strongest derivation has 2.6 and
3.2 times the median derivation's RMS, ``fit.py`` ``focal_ratio``)."""


def _hemisphere_weights(side: int, laterality: float, focus: np.ndarray) -> np.ndarray:
    """Per-channel weight of a hemispheric field: ipsilateral 1 at ``focus``, contralateral x
    ``1 - laterality``; side -1 = left, +1 = right."""
    mirrored = focus * np.array([-1.0, 1.0])
    near = np.exp(-((POSITIONS - focus) ** 2).sum(axis=1) / (2 * FIELD_SD**2))
    far = np.exp(-((POSITIONS - mirrored) ** 2).sum(axis=1) / (2 * FIELD_SD**2))
    ipsi = POSITIONS[:, 0] * side > 0
    contra = POSITIONS[:, 0] * side < 0
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
    around a random focus and spreads over 5-20 s (to a field of 0.5 head radii s.d., so that
    it keeps the gradients that bipolar derivations see). The waveform is a sine with
    a second harmonic (sharpened, "spiky" rhythm).

    Returns
    -------
    array, shape (19, n_samples), float64
        Microvolts; ``amplitude_uv`` is the peak envelope at the focus.
    """
    out = np.zeros((len(EEG_CHANNELS), n_samples))
    focus = rng.uniform(-0.8, 0.8, size=2)
    dist2 = ((POSITIONS - focus) ** 2).sum(axis=1)
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
            spread = 0.3 + 0.2 * np.clip(tau / (rng.uniform(5.0, 20.0) * sfreq), 0.0, 1.0)
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
    wobble = 1.0 + 0.05 * smooth_noise(rng, n_samples, sfreq=sfreq, cutoff_hz=0.05)
    phase = 2 * np.pi * np.cumsum(freq_hz * wobble) / sfreq + rng.uniform(0, 2 * np.pi)
    wave = np.sin(phase) + 0.15 * np.sin(2 * phase)
    envelope = 0.7 + 0.3 * np.tanh(smooth_noise(rng, n_samples, sfreq=sfreq, cutoff_hz=0.05))
    focus = np.array([side * rng.uniform(0.3, 0.8), rng.uniform(0.0, 0.8)])
    frontal = 0.75 + 0.25 * POSITIONS[:, 1]
    field = _hemisphere_weights(side, laterality, focus) * frontal
    return amplitude_uv * field[:, None] * (wave * envelope)[None]
