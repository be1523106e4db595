"""One demo recording: its referential signal and its EEG and spectrogram parquet files."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.fft

from features.kaggle_spectrogram import kaggle_spectrogram
from features.montage import EEG_CHANNELS, RAW_COLUMNS, SFREQ, SPECTROGRAM_COLUMNS, to_bipolar
from features.windows import SPECTROGRAM_ROW_SEC
from models.labels import CLASSES
from pipelines.demo.calibration import (
    ASYMMETRY_SD,
    BACKGROUND_MODULATION,
    BIPOLAR_RMS_UV,
    DISCHARGE_UV,
    NAN_RUN_SHARE,
    NOISY_ELECTRODE_RMS,
    NOISY_ELECTRODE_SHARE,
    REFERENTIAL_TO_BIPOLAR_POWER,
    RHYTHMIC_DELTA_UV,
    SEIZURE_UV,
)
from pipelines.demo.patterns import periodic_discharges, rhythmic_delta, seizure_activity
from pipelines.demo.plan import RecordingPlan
from pipelines.demo.signals import (
    alpha_rhythm,
    background,
    ekg,
    ekg_leakage,
    eye_blinks,
    muscle_bursts,
    noisy_electrode,
    smooth_noise,
    spectrum_log_power,
    typical_bipolar_gain,
)
from pipelines.files import write_atomic


def _patterns(rng: np.random.Generator, plan: RecordingPlan, n: int, *, sfreq: float, scale):
    """Sum of the class patterns of ``plan.truth``, (19, n) uV, amplitudes times ``scale``."""
    p = dict(zip(CLASSES, plan.truth, strict=True))
    x = np.zeros((len(EEG_CHANNELS), n))
    if p["seizure"] > 0.02:
        x += seizure_activity(rng, n, sfreq=sfreq, amplitude_uv=SEIZURE_UV * scale * p["seizure"])
    pd_share = p["lpd"] + p["gpd"]
    if pd_share > 0.02:
        x += periodic_discharges(
            rng,
            n,
            sfreq=sfreq,
            amplitude_uv=DISCHARGE_UV * scale * pd_share,
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
            amplitude_uv=RHYTHMIC_DELTA_UV * scale * rda_share,
            freq_hz=rng.uniform(0.7, 2.8),
            side=plan.side,
            laterality=p["lrda"] / rda_share,
        )
    return x


def bipolar_psd(x: np.ndarray, *, sfreq: float, smooth_hz: float = 1.0) -> np.ndarray:
    """Mean power density of the 18 bipolar derivations of ``x`` (19, n) uV.

    The periodogram at ``np.fft.rfftfreq(n, 1 / sfreq)``, averaged over derivations and
    smoothed by a ``smooth_hz`` moving average (a narrow pattern peak is spread over the 1 Hz
    bins the background was fitted in); uV^2/Hz, one-sided. All zeros for an all-zero ``x``.
    """
    n = x.shape[-1]
    if not np.any(x):
        return np.zeros(n // 2 + 1)
    spectrum = scipy.fft.rfft(to_bipolar(x), axis=-1)
    power = (spectrum.real**2 + spectrum.imag**2).mean(axis=0) * 2.0 / (sfreq * n)
    width = max(1, int(round(smooth_hz * n / sfreq)))
    return np.convolve(power, np.ones(width) / width, mode="same")


def recording_signal(plan: RecordingPlan, *, sfreq: float = SFREQ) -> np.ndarray:
    """The referential signal of a whole spectrogram span, before NaN runs.

    Returns
    -------
    array, shape (20, spectrogram_rows * 2 * sfreq), float64
        ``RAW_COLUMNS`` order (19 EEG channels + EKG), microvolts; sample 0 = spectrogram time 0.
    """
    rng = np.random.default_rng(plan.seed)
    n = int(plan.spectrogram_rows * SPECTROGRAM_ROW_SEC * sfreq)
    reference = max(REFERENTIAL_TO_BIPOLAR_POWER * typical_bipolar_gain() - 1.0, 0.0)
    asymmetry = ASYMMETRY_SD * rng.standard_normal()
    freqs = np.arange(0.25, 40.0, 0.5)  # the 0.5-40 Hz power, in 0.5 Hz steps
    bipolar_rms = np.sqrt(np.sum(10.0 ** spectrum_log_power(plan.spectrum, freqs)) * 0.5)
    patterns = _patterns(rng, plan, n, sfreq=sfreq, scale=bipolar_rms / BIPOLAR_RMS_UV)
    x = background(
        rng,
        n,
        sfreq=sfreq,
        spectrum=plan.spectrum,
        reference_share=reference,
        asymmetry=asymmetry,
        pattern_psd=bipolar_psd(patterns, sfreq=sfreq),
    )
    # slow waxing and waning of the background power (log10 s.d. ``sd``, ~20 s time scale)
    median, ln_sd = BACKGROUND_MODULATION
    sd = min(median * np.exp(ln_sd * rng.standard_normal()), 0.6)
    x *= 10.0 ** (0.5 * sd * smooth_noise(rng, n, sfreq=sfreq, cutoff_hz=0.05))[None]
    x += patterns
    if plan.alpha_uv > 0:
        x += alpha_rhythm(rng, n, sfreq=sfreq, amplitude_uv=plan.alpha_uv)
    if rng.random() < 0.5:
        x += eye_blinks(rng, n, sfreq=sfreq, rate_hz=rng.uniform(0.05, 0.3))
    x += muscle_bursts(rng, n, sfreq=sfreq, bursts_per_min=rng.uniform(0.0, 2.0))
    heart = ekg(rng, n, sfreq=sfreq, rms_uv=plan.ekg_rms_uv)
    ekg_leakage(rng, x, heart, corr=plan.ekg_leak_corr, sfreq=sfreq)
    if rng.random() < NOISY_ELECTRODE_SHARE:
        low, high = np.log(NOISY_ELECTRODE_RMS)
        noisy_electrode(rng, x, sfreq=sfreq, rms_ratio=float(np.exp(rng.uniform(low, high))))
    bad = rng.random()
    if bad < 0.03:
        x[rng.integers(len(EEG_CHANNELS))] = 0.0  # flat (disconnected) channel
    elif bad < 0.05:
        x[rng.integers(len(EEG_CHANNELS))] = np.nan  # channel missing from the export
    return np.vstack([x, heart[None]])


def _nan_runs(rng: np.random.Generator, eeg: np.ndarray, *, sfreq: float) -> None:
    """Blank 1-3 runs of 0.1-2 s on all columns, in place, in ``NAN_RUN_SHARE`` of recordings."""
    if rng.random() >= NAN_RUN_SHARE:
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


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a table as CSV (no index, LF line ends), atomically."""
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
