"""Fit the demo generator's signal constants on real Kaggle-layout EEG; print them.

Only the printed numbers go into ``pipelines/demo/calibration.py`` (no real data is copied)::

    python -m pipelines.demo.fit ../shared/hms_real_mini

For every label window (at most ``MAX_WINDOWS_PER_EEG`` per EEG, evenly spread) it measures the
bipolar chains' Welch spectra (``realism.window_log_spectra``) and fits, per window, the
aperiodic model ``log10 P(f) = log10(10^offset / (1 + (f / knee)^exponent) + 10^floor)`` on
1-40 Hz (uV^2/Hz; alpha 7-14 Hz left out of the fit); then the alpha excess (measured minus
fitted power at 7-14 Hz, posterior chains), the EKG leakage (largest |correlation| of an EEG
channel with the EKG column) and the amplitude shape (kurtosis of the bipolar signals). How
far a recording's pattern stands out of its background is measured by ``pattern_measures`` and
printed per expert consensus (the pattern amplitudes were set against these; run the module on
a generated folder to see the demo's figures beside them).
Figures are medians and spreads over recordings (each recording counts once).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import least_squares
from scipy.signal import welch
from scipy.stats import kurtosis

from features.montage import EEG_CHANNELS, SFREQ, to_bipolar
from features.windows import EEG_WINDOW_SEC
from pipelines.demo.calibration import SPECTRUM_ANCHORS_HZ
from pipelines.demo.realism import SPECTRUM_BINS_HZ, window_log_spectra
from pipelines.demo.signals import ekg_leak_corr

MAX_WINDOWS_PER_EEG = 3
PATTERN_MEASURES = ("focal_ratio", "abs_corr", "peak_excess", "p99_ratio")
"""The columns of ``pattern_measures``."""
FIT_BAND_HZ = (1.0, 40.0)
ALPHA_BAND_HZ = (7.0, 14.0)
LINE_HZ = 60.0
ANCHOR_BINS = [int(np.floor(f)) for f in SPECTRUM_ANCHORS_HZ]
"""Index of the 1 Hz bin of each anchor frequency."""


def aperiodic_log_power(params: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    """``log10(10^offset / (1 + (f / knee)^exponent) + 10^floor)`` at ``freqs`` (Hz).

    ``params`` = (offset, exponent, log10 knee in Hz, floor), all log10 units but the exponent.
    """
    offset, exponent, log_knee, floor = params
    aperiodic = 10.0**offset / (1.0 + (freqs / 10.0**log_knee) ** exponent)
    return np.log10(aperiodic + 10.0**floor)


def fit_aperiodic(log_power: np.ndarray) -> np.ndarray:
    """Least-squares fit of ``aperiodic_log_power`` to one spectrum of 1 Hz bins.

    Parameters
    ----------
    log_power : array, shape (len(SPECTRUM_BINS_HZ) - 1,)
        log10 power per 1 Hz bin (``window_log_spectra``).

    Returns
    -------
    array, shape (4,)
        offset, exponent, log10 knee (Hz), floor.
    """
    centres = SPECTRUM_BINS_HZ[:-1] + 0.5
    use = (centres >= FIT_BAND_HZ[0]) & (centres <= FIT_BAND_HZ[1])
    use &= ~((centres >= ALPHA_BAND_HZ[0]) & (centres <= ALPHA_BAND_HZ[1]))
    f, y = centres[use], log_power[use]

    def residual(p):
        return aperiodic_log_power(p, f) - y

    start = np.array([y[0] + 0.3, 2.0, 0.0, y[-1] - 0.5])
    bounds = ([-5.0, 0.3, -1.0, -5.0], [8.0, 5.0, 1.3, 5.0])
    return least_squares(residual, start, bounds=bounds).x


def _windows(data_dir: Path):
    """(eeg_id, EEG (19, n), EKG (n,)) of up to ``MAX_WINDOWS_PER_EEG`` label windows per EEG."""
    labels = pd.read_csv(data_dir / "train.csv")
    n = int(EEG_WINDOW_SEC * SFREQ)
    for eeg_id, rows in labels.groupby("eeg_id", sort=True):
        frame = pd.read_parquet(data_dir / "train_eegs" / f"{eeg_id}.parquet")
        x = frame[list(EEG_CHANNELS)].to_numpy(np.float64).T
        ekg = frame["EKG"].to_numpy(np.float64)
        offsets = np.unique(rows["eeg_label_offset_seconds"].to_numpy())
        pick = np.linspace(0, len(offsets) - 1, min(MAX_WINDOWS_PER_EEG, len(offsets)))
        for offset in offsets[pick.round().astype(int)]:
            s = int(offset * SFREQ)
            yield int(eeg_id), np.nan_to_num(x[:, s : s + n]), np.nan_to_num(ekg[s : s + n])


def pattern_measures(bipolar: np.ndarray, spectrum: np.ndarray) -> dict[str, float]:
    """How much a window's pattern stands out of its background.

    Parameters
    ----------
    bipolar : array, shape (18, n_samples)
        Bipolar derivations, microvolts.
    spectrum : array, shape (len(SPECTRUM_BINS_HZ) - 1,)
        log10 power per 1 Hz bin of the mean derivation (``window_log_spectra``, all chains).

    Returns
    -------
    dict
        ``focal_ratio``: RMS of the strongest derivation / median derivation RMS (a focal or
        lateralised pattern); ``abs_corr``: mean |correlation| between derivations (a field
        shared by many); ``peak_excess``: largest excess (log10) of a 1 Hz bin of 1-15 Hz over
        the aperiodic fit (a rhythm); ``p99_ratio``: 99.9th percentile of |signal| over RMS,
        median over derivations (sharp discharges; ~3.3 for Gaussian noise).
    """
    rms = bipolar.std(axis=1)
    live = rms > 0
    corr = np.corrcoef(bipolar[live])
    off = ~np.eye(len(corr), dtype=bool)
    centres = SPECTRUM_BINS_HZ[:-1] + 0.5
    band = (centres >= 1.0) & (centres <= 15.0)
    excess = spectrum - aperiodic_log_power(fit_aperiodic(spectrum), centres)
    peaks = np.quantile(np.abs(bipolar[live]), 0.999, axis=1) / rms[live]
    return {
        "focal_ratio": float(rms.max() / max(np.median(rms), 1e-9)),
        "abs_corr": float(np.abs(corr[off]).mean()),
        "peak_excess": float(excess[band].max()),
        "p99_ratio": float(np.median(peaks)),
    }


def window_measures(x: np.ndarray, ekg: np.ndarray) -> dict[str, float]:
    """The fitted quantities of one window: aperiodic parameters per chain and the rest."""
    spectra = window_log_spectra(x)
    centres = SPECTRUM_BINS_HZ[:-1] + 0.5
    alpha = (centres >= ALPHA_BAND_HZ[0]) & (centres <= ALPHA_BAND_HZ[1])
    spectra["all"] = np.mean(list(spectra.values()), axis=0)
    out: dict[str, float] = {}
    for chain, logp in spectra.items():
        params = fit_aperiodic(logp)
        for name, value in zip(("offset", "exponent", "log_knee", "floor"), params, strict=True):
            out[f"{chain}_{name}"] = float(value)
        excess = 10.0 ** logp[alpha] - 10.0 ** aperiodic_log_power(params, centres[alpha])
        out[f"{chain}_alpha_excess"] = float(np.log10(max(excess.sum(), 1e-3)))
    for f, value in zip(SPECTRUM_ANCHORS_HZ, spectra["all"][ANCHOR_BINS], strict=True):
        out[f"anchor_{f:g}"] = float(value)
    bipolar = to_bipolar(x)
    freqs, psd = welch(bipolar, fs=SFREQ, nperseg=int(2 * SFREQ), axis=-1)
    mean_psd = psd.mean(axis=0)
    line = np.abs(freqs - LINE_HZ) < 0.6
    near = (np.abs(freqs - LINE_HZ) > 2) & (np.abs(freqs - LINE_HZ) < 6)
    out["line_excess"] = float(np.log10(mean_psd[line].mean() / mean_psd[near].mean()))
    out["log_power_40_80"] = float(np.log10(np.median(mean_psd[(freqs >= 40) & (freqs < 80)])))
    out["bipolar_rms_uv"] = float(np.median(bipolar.std(axis=1)))
    out["referential_rms_uv"] = float(np.median(x.std(axis=1)))
    out["bipolar_kurtosis"] = float(np.median(kurtosis(bipolar, axis=1)))
    out.update(pattern_measures(bipolar.astype(np.float64), spectra["all"]))
    if ekg.std() > 0:
        out["ekg_leak_corr"] = ekg_leak_corr(x, ekg, sfreq=SFREQ)
        out["ekg_rms_uv"] = float(ekg.std())
    return out


def spectrogram_variability(data_dir: Path) -> pd.Series:
    """Per spectrogram: s.d. over the 2 s rows of its first label row's 10-minute slice of the
    log10 mean 1-20 Hz power, median over the four chains (how non-stationary the EEG is)."""
    labels = pd.read_csv(Path(data_dir) / "train.csv")
    out = {}
    for sid, rows in labels.groupby("spectrogram_id", sort=True):
        frame = pd.read_parquet(Path(data_dir) / "train_spectrograms" / f"{sid}.parquet")
        start = float(rows["spectrogram_label_offset_seconds"].iloc[0])
        part = frame[(frame["time"] >= start) & (frame["time"] < start + 600)]
        sds = []
        for chain in ("LL", "RL", "LP", "RP"):
            columns = [c for c in frame.columns if c.startswith(f"{chain}_")]
            freqs = np.array([float(c.split("_")[1]) for c in columns])
            power = part[columns].to_numpy(np.float64)[:, (freqs >= 1.0) & (freqs < 20.0)]
            sds.append(np.nanstd(np.log10(np.nanmean(power, axis=1) + 1e-6)))
        out[int(sid)] = float(np.median(sds))
    return pd.Series(out, name="log_power_sd")


def fit_folder(data_dir: Path) -> pd.DataFrame:
    """``window_measures`` averaged per recording: one row per EEG id."""
    rows = [{"eeg_id": e, **window_measures(x, ekg)} for e, x, ekg in _windows(Path(data_dir))]
    return pd.DataFrame(rows).groupby("eeg_id").mean()


PATTERN_COLUMNS = ("bipolar_rms_uv", "bipolar_kurtosis", *PATTERN_MEASURES)


def by_consensus(data_dir: Path, per_recording: pd.DataFrame) -> pd.DataFrame:
    """Median of the pattern measures per expert consensus of each recording's first row
    (columns: ``n`` recordings and ``PATTERN_COLUMNS``)."""
    labels = pd.read_csv(Path(data_dir) / "train.csv").groupby("eeg_id").first()
    consensus = labels["expert_consensus"].reindex(per_recording.index)
    table = per_recording[list(PATTERN_COLUMNS)].groupby(consensus).median()
    return table.assign(n=consensus.value_counts()).round(3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data_dir", help="real Kaggle-layout folder (train.csv + train_eegs/)")
    args = parser.parse_args(argv)
    per_recording = fit_folder(Path(args.data_dir))
    pd.set_option("display.width", 200)
    print(f"{len(per_recording)} recordings; median, spread (std) and range over recordings:")
    summary = per_recording.agg(["median", "std", "min", "max"]).T.round(3)
    print(summary.to_string())
    params = per_recording[[f"anchor_{f:g}" for f in SPECTRUM_ANCHORS_HZ]].to_numpy()
    print("SPECTRUM_MEAN =", params.mean(axis=0).round(3).tolist())
    print("SPECTRUM_COV =", np.cov(params.T).round(3).tolist())
    print("SPECTRUM_LOW =", (params.min(axis=0) - 0.3).round(3).tolist())
    print("SPECTRUM_HIGH =", (params.max(axis=0) + 0.3).round(3).tolist())
    ratio = per_recording["referential_rms_uv"] / per_recording["bipolar_rms_uv"]
    print("REFERENTIAL_TO_BIPOLAR_POWER =", round(float(np.median(ratio**2)), 3))
    posterior = per_recording[["lp_alpha_excess", "rp_alpha_excess"]].mean(axis=1)
    print("ALPHA_PREVALENCE =", round(float(np.mean(posterior > 0.0)), 3))
    print("ALPHA_EXCESS_PRESENT =", posterior[posterior > 0].round(3).tolist())
    ln_ekg = np.log(per_recording["ekg_rms_uv"])
    print("EKG_RMS_UV =", round(float(np.exp(ln_ekg.median())), 2), "ln sd", round(ln_ekg.std(), 3))
    print("pattern measures per expert consensus (median over recordings):")
    print(by_consensus(Path(args.data_dir), per_recording).to_string())
    sd = spectrogram_variability(Path(args.data_dir)).to_numpy()
    print("spectrogram log10 power s.d. over 10 min:", np.round(np.sort(sd), 3).tolist())
    ln_leak = np.log(per_recording["ekg_leak_corr"])
    print(
        "EKG_LEAK_CORR =",
        round(float(np.exp(ln_leak.median())), 3),
        "ln sd",
        round(ln_leak.std(), 3),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
