"""Background and artifact components of the demo signal.

Each component returns microvolts, shape (19, n_samples) in ``EEG_CHANNELS`` order unless stated.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.fft

from features.montage import BIPOLAR_PAIRS, EEG_CHANNELS, to_bipolar
from pipelines.demo.calibration import MUSCLE_UV, SPECTRUM_ANCHORS_HZ

N_LATENT_SOURCES = 6
"""Latent sources mixed onto the scalp by ``background``."""

MIXING_WIDTH = 0.6
"""Standard deviation (head radii) of a source's Gaussian fall-off over the scalp (0.45 before
calibration; widened, and ``SHARED_SHARE`` raised from 0.7, because the real bipolar
derivations correlate more with each other: median ``eeg_laterality_globalcorr_all_50s`` 0.28
real, 0.14 demo, in the first calibrated run)."""

SHARED_SHARE = 0.9
"""Share of a channel's background power from the shared sources (the rest is its own)."""

BACKGROUND_FLOOR = 0.2
"""Least share of the target density left to the background where patterns carry more (a
strong pattern then raises the total above the fitted spectrum rather than leaving none)."""

# Approximate 10-20 positions on a unit disc, x left (-) to right (+), y posterior (-) to
# anterior (+), aligned with EEG_CHANNELS.
POSITIONS = np.array([
    (-0.3, 0.95), (-0.4, 0.5), (-0.5, 0.0), (-0.4, -0.5), (-0.8, 0.55), (-0.95, 0.0),
    (-0.8, -0.55), (-0.3, -0.95), (0.0, 0.5), (0.0, 0.0), (0.0, -0.5),
    (0.3, 0.95), (0.4, 0.5), (0.5, 0.0), (0.4, -0.5), (0.8, 0.55), (0.95, 0.0),
    (0.8, -0.55), (0.3, -0.95),
])  # fmt: skip
_CH = {name: i for i, name in enumerate(EEG_CHANNELS)}
_TEMPORAL = {"left": ("F7", "T3", "T5"), "right": ("F8", "T4", "T6")}


def smooth_noise(rng: np.random.Generator, n_samples: int, *, sfreq: float, cutoff_hz: float):
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


def spectrum_log_power(anchors, freqs: np.ndarray) -> np.ndarray:
    """log10 power density at ``freqs`` from its values at ``SPECTRUM_ANCHORS_HZ``.

    Linear in log10 frequency between the anchors, constant below the first and above the last.

    Parameters
    ----------
    anchors : sequence of len(SPECTRUM_ANCHORS_HZ) floats
        log10 uV^2/Hz at the anchor frequencies.
    freqs : array
        Frequencies in Hz (0 is treated as the first anchor).

    Returns
    -------
    array, same shape as ``freqs``
    """
    logf = np.log10(np.maximum(np.asarray(freqs, dtype=np.float64), SPECTRUM_ANCHORS_HZ[0]))
    return np.interp(logf, np.log10(SPECTRUM_ANCHORS_HZ), np.asarray(anchors, dtype=np.float64))


def shaped_noise(
    rng: np.random.Generator, psd: np.ndarray, n_series: int, n_samples: int, *, sfreq: float
) -> np.ndarray:
    """Gaussian noise with the one-sided power density ``psd`` (given at ``rfftfreq`` bins).

    Parameters
    ----------
    psd : array, shape (n_samples // 2 + 1,)
        Target density in uV^2/Hz at ``np.fft.rfftfreq(n_samples, 1 / sfreq)``.

    Returns
    -------
    array, shape (n_series, n_samples), float64
        Microvolts; a Welch estimate of a long series recovers ``psd``.
    """
    # E|X_k|^2 = n * sfreq * psd / 2 for a one-sided density; real and imaginary parts share it
    scale = np.sqrt(np.asarray(psd, dtype=np.float64) * n_samples * sfreq / 4.0)
    spectrum = np.empty((n_series, len(scale)), dtype=np.complex64)
    spectrum.real = rng.standard_normal(spectrum.shape, dtype=np.float32)
    spectrum.imag = rng.standard_normal(spectrum.shape, dtype=np.float32)
    spectrum *= scale.astype(np.float32)
    spectrum[:, 0] = 0.0
    return scipy.fft.irfft(spectrum, n=n_samples, axis=-1).astype(np.float64)


def _mixing(rng: np.random.Generator) -> np.ndarray:
    """Source-to-electrode weights (19, N_LATENT_SOURCES), each electrode's row of unit norm."""
    centres = rng.uniform(-1.0, 1.0, size=(N_LATENT_SOURCES, 2))
    dist2 = ((POSITIONS[:, None, :] - centres[None]) ** 2).sum(axis=-1)
    mixing = np.exp(-dist2 / (2 * MIXING_WIDTH**2))
    return mixing / np.sqrt((mixing**2).sum(axis=1, keepdims=True))


def bipolar_gain(mixing: np.ndarray) -> float:
    """Mean power of the 18 bipolar derivations per unit source power, for ``background``'s
    model ``x = sqrt(SHARED_SHARE) mixing @ s + sqrt(1 - SHARED_SHARE) e`` (unit-power ``s``,
    ``e``; the common reference cancels)."""
    a = [EEG_CHANNELS.index(p[0]) for p in BIPOLAR_PAIRS]
    b = [EEG_CHANNELS.index(p[1]) for p in BIPOLAR_PAIRS]
    shared = ((mixing[a] - mixing[b]) ** 2).sum(axis=1)
    return float(np.mean(SHARED_SHARE * shared + 2.0 * (1.0 - SHARED_SHARE)))


@functools.cache
def typical_bipolar_gain() -> float:
    """Median ``bipolar_gain`` over 500 random source layouts (fixed seed), for the common
    reference's share."""
    rng = np.random.default_rng(0)
    return float(np.median([bipolar_gain(_mixing(rng)) for _ in range(500)]))


def background(
    rng: np.random.Generator,
    n_samples: int,
    *,
    sfreq: float,
    spectrum,
    reference_share: float = 0.0,
    asymmetry: float = 0.0,
    pattern_psd: np.ndarray | None = None,
) -> np.ndarray:
    """Spatially correlated background with a given bipolar power spectrum.

    ``N_LATENT_SOURCES`` sources sit at random points of the head and reach each electrode with
    a Gaussian fall-off of distance; an independent component per channel (``1 -
    SHARED_SHARE`` of the power) keeps channels from being exact mixtures. The sources are
    scaled so that the mean bipolar derivation has the power density
    ``spectrum_log_power(spectrum)``. A common-reference signal of the same shape and
    ``reference_share`` times a source's power is added to every channel (it cancels in
    bipolar derivations, as a real reference electrode's activity does).

    Parameters
    ----------
    spectrum : sequence of floats
        log10 uV^2/Hz of the mean bipolar derivation at ``SPECTRUM_ANCHORS_HZ``.
    reference_share : float
        Power of the common reference relative to one source.
    asymmetry : float
        log10 power ratio of the right to the left edge of the head (a linear gradient in
        between; the bipolar mean is unchanged only for 0).
    pattern_psd : array, shape (n_samples // 2 + 1,), optional
        Mean bipolar power density (uV^2/Hz at ``rfftfreq(n_samples, 1 / sfreq)``) that the
        recording's patterns add: it is taken off the target, down to ``BACKGROUND_FLOOR`` of
        it, so that background plus patterns keep the fitted spectrum (the real spectra it was
        fitted on carry their patterns).

    Returns
    -------
    array, shape (19, n_samples), float64
        Microvolts.
    """
    freqs = np.fft.rfftfreq(n_samples, 1.0 / sfreq)
    psd = 10.0 ** spectrum_log_power(spectrum, freqs)
    if pattern_psd is not None:
        psd = np.maximum(psd - pattern_psd, BACKGROUND_FLOOR * psd)
    mixing = _mixing(rng)
    sources = shaped_noise(
        rng, psd / bipolar_gain(mixing), N_LATENT_SOURCES + 20, n_samples, sfreq=sfreq
    )
    x = np.sqrt(SHARED_SHARE) * (mixing @ sources[:N_LATENT_SOURCES])
    x += np.sqrt(1.0 - SHARED_SHARE) * sources[N_LATENT_SOURCES : N_LATENT_SOURCES + 19]
    x *= 10.0 ** (0.25 * asymmetry * POSITIONS[:, 0])[:, None]
    return x + np.sqrt(reference_share) * sources[-1]


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
    envelope = 0.6 + 0.4 * np.tanh(smooth_noise(rng, n_samples, sfreq=sfreq, cutoff_hz=0.2))
    posterior = np.clip(-POSITIONS[:, 1], 0.0, None) ** 1.5 + 0.05
    return amplitude_uv * posterior[:, None] * (wave * envelope)[None]


def ekg(
    rng: np.random.Generator, n_samples: int, *, sfreq: float, rms_uv: float | None = None
) -> np.ndarray:
    """EKG channel: P-QRS-T complexes at 60-100 beats per minute, plus pink noise.

    Returns
    -------
    array, shape (n_samples,), float64
        Microvolts, ``rms_uv`` RMS (None: the R wave peaks at 200-800 uV).
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
    # noise of 30-300% of the complexes' RMS: real EKG columns are often far from clean (the
    # project's R-R detector finds no rhythm in most of the 9 real recordings)
    out += rng.uniform(0.3, 3.0) * out.std() * colored_noise(rng, 1, n_samples, sfreq=sfreq)[0]
    return out * (rms_uv / max(out.std(), 1e-12)) if rms_uv is not None else out


EKG_LEAK_LOW_HZ = 5.0
"""The EKG's leakage into the EEG is measured and set above this frequency, on bipolar
derivations: below it the correlation of a referential channel with the EKG column is mostly the
shared reference and slow drifts, which do not add power to a bipolar derivation."""


def fast_sd(x: np.ndarray, *, sfreq: float, low_hz: float = EKG_LEAK_LOW_HZ) -> np.ndarray:
    """Standard deviation of each series of ``x`` (..., n) above ``low_hz`` (from its FFT)."""
    n = x.shape[-1]
    spectrum = scipy.fft.rfft(x, axis=-1)
    keep = np.fft.rfftfreq(n, 1.0 / sfreq) >= low_hz
    power = spectrum.real[..., keep] ** 2 + spectrum.imag[..., keep] ** 2
    return np.sqrt(2.0 * power.sum(axis=-1)) / n


def fast_part(x: np.ndarray, *, sfreq: float, low_hz: float = EKG_LEAK_LOW_HZ) -> np.ndarray:
    """``x`` (..., n) with its power below ``low_hz`` removed (FFT, zero-phase)."""
    n = x.shape[-1]
    spectrum = scipy.fft.rfft(x, axis=-1)
    spectrum[..., np.fft.rfftfreq(n, 1.0 / sfreq) < low_hz] = 0.0
    return scipy.fft.irfft(spectrum, n=n, axis=-1)


def ekg_leak_corr(x: np.ndarray, heart: np.ndarray, *, sfreq: float) -> float:
    """Largest |correlation| of a bipolar derivation of ``x`` (19, n) uV with the EKG column,
    both above ``EKG_LEAK_LOW_HZ``: how much of the heart reaches the EEG (0 for a flat EKG)."""
    heart = np.asarray(heart, dtype=np.float64)
    e = fast_part(heart, sfreq=sfreq)
    if np.linalg.norm(e) <= 1e-9 * max(float(np.linalg.norm(heart)), 1e-300):
        return 0.0  # no EKG above the cut (flat, or rounding error of a slow one)
    b = fast_part(to_bipolar(np.asarray(x, dtype=np.float64)), sfreq=sfreq)
    b = b - b.mean(axis=1, keepdims=True)
    e = e - e.mean()
    norms = np.linalg.norm(b, axis=1) * np.linalg.norm(e)
    corr = np.abs(b @ e) / np.where(norms > 0, norms, np.inf)
    return float(corr.max())


def ekg_leakage(
    rng: np.random.Generator,
    x: np.ndarray,
    heart: np.ndarray,
    *,
    corr: float,
    sfreq: float,
    n_channels: int = 4,
) -> None:
    """Add the EKG to ``n_channels`` random EEG channels of ``x`` (19, n), in place, so that
    ``ekg_leak_corr`` (bipolar derivations, above ``EKG_LEAK_LOW_HZ``) is ``corr``: for each
    channel, the derivation through it with the least fast power reaches its share of ``corr``
    (1 for the first channel, 40-100% for the others)."""
    rows = rng.choice(len(EEG_CHANNELS), size=n_channels, replace=False)
    r = np.minimum(corr * rng.uniform(0.4, 1.0, n_channels), 0.95)
    r[0] = min(corr, 0.95)
    sd_e = float(fast_sd(heart, sfreq=sfreq))
    if sd_e <= 0:
        return
    sd_bipolar = fast_sd(to_bipolar(x), sfreq=sfreq)
    for row, target in zip(rows, r, strict=True):
        name = EEG_CHANNELS[row]
        through = [i for i, pair in enumerate(BIPOLAR_PAIRS) if name in pair]
        sd_d = float(sd_bipolar[through].min())
        x[row] += target * sd_d / (sd_e * np.sqrt(1.0 - target**2)) * heart


def noisy_electrode(
    rng: np.random.Generator, x: np.ndarray, *, sfreq: float, rms_ratio: float
) -> None:
    """Add white noise (0.5-70 Hz) of ``rms_ratio`` times its own s.d. to one random channel of
    ``x`` (19, n) uV, in place: a loose or high-impedance electrode."""
    row = int(rng.integers(len(EEG_CHANNELS)))
    high_hz = min(70.0, sfreq / 2)
    noise = colored_noise(
        rng, 1, x.shape[1], sfreq=sfreq, exponent=0.0, low_hz=0.5, high_hz=high_hz
    )
    x[row] += rms_ratio * float(np.std(x[row])) * noise[0]


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
    frontal = np.clip(POSITIONS[:, 1], 0.0, None) ** 4
    return frontal[:, None] * wave[None]


def muscle_bursts(
    rng: np.random.Generator, n_samples: int, *, sfreq: float, bursts_per_min: float
) -> np.ndarray:
    """Muscle artifact: 20-70 Hz bursts of 0.5-4 s, ``MUSCLE_UV`` RMS, on the temporal channels.

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
        burst = rng.uniform(*MUSCLE_UV) * taper * noise[side, start : start + length]
        out[rows, start : start + len(burst)] += burst[: n_samples - start]
    return out
