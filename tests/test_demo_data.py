"""Tests of the demo data generator: Kaggle layout, geometry, labels, determinism, morphology."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from scipy.signal import welch

from features.kaggle_spectrogram import kaggle_spectrogram
from features.montage import EEG_CHANNELS, RAW_COLUMNS, SFREQ, SPECTROGRAM_COLUMNS
from models.labels import CONSENSUS_NAMES, VOTE_COLUMNS
from pipelines.demo import calibration
from pipelines.demo.dataset import write_demo_dataset
from pipelines.demo.labels import sample_truth, sample_vote_totals, sample_votes
from pipelines.demo.patterns import periodic_discharges, rhythmic_delta, seizure_activity
from pipelines.demo.plan import PROB_COLUMNS

REAL_MINI = Path(__file__).resolve().parents[2] / "shared" / "hms_real_mini"
needs_real = pytest.mark.skipif(
    not REAL_MINI.exists(), reason="../shared/hms_real_mini not present"
)
LEFT = [EEG_CHANNELS.index(c) for c in ("Fp1", "F3", "C3", "P3", "F7", "T3", "T5", "O1")]
RIGHT = [EEG_CHANNELS.index(c) for c in ("Fp2", "F4", "C4", "P4", "F8", "T4", "T6", "O2")]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    write_demo_dataset(out, n_eegs=12, seed=3, n_jobs=1, progress=False)
    return out


@pytest.fixture(scope="module")
def train(demo) -> pd.DataFrame:
    return pd.read_csv(demo / "train.csv")


def _band_power(x: np.ndarray, low: float, high: float) -> np.ndarray:
    freqs, psd = welch(x, fs=SFREQ, nperseg=int(4 * SFREQ), axis=-1)
    band = (freqs >= low) & (freqs < high)
    return psd[..., band].sum(axis=-1)


# --- layout ----------------------------------------------------------------------------------


def test_files_present(demo):
    for name in ("train.csv", "test.csv", "sample_submission.csv", "demo_truth.csv"):
        assert (demo / name).is_file()
    for sub in ("train_eegs", "train_spectrograms", "test_eegs", "test_spectrograms"):
        assert any((demo / sub).glob("*.parquet"))
    assert not list(demo.rglob(".*.tmp"))


def test_train_csv_columns(train, demo):
    assert list(train.columns) == [
        "eeg_id", "eeg_sub_id", "eeg_label_offset_seconds", "spectrogram_id",
        "spectrogram_sub_id", "spectrogram_label_offset_seconds", "label_id", "patient_id",
        "expert_consensus", *VOTE_COLUMNS,
    ]  # fmt: skip
    first_line = (demo / "train.csv").read_text().splitlines()[1].split(",")
    assert first_line[2].endswith(".0") and first_line[5].endswith(".0")
    assert train["label_id"].is_unique
    assert train["eeg_id"].dtype == np.int64 and train["label_id"].dtype == np.int64
    votes = train[list(VOTE_COLUMNS)].to_numpy()
    expected = np.asarray(CONSENSUS_NAMES)[votes.argmax(axis=1)]
    assert (train["expert_consensus"].to_numpy() == expected).all()
    assert (votes.sum(axis=1) >= 1).all()


@needs_real
@pytest.mark.parametrize("name", ["train.csv", "test.csv", "sample_submission.csv"])
def test_csv_layout_matches_kaggle(demo, name):
    ours, real = pd.read_csv(demo / name), pd.read_csv(REAL_MINI / name)
    assert list(ours.columns) == list(real.columns)
    # label_id may be empty in reconstructed copies (float there); ours is always filled
    for column in real.columns.drop("label_id", errors="ignore"):
        assert ours[column].dtype == real[column].dtype, column


@needs_real
@pytest.mark.parametrize("split", ["train", "test"])
def test_parquet_schemas_match_kaggle(demo, split):
    for kind in ("eegs", "spectrograms"):
        ours = pq.read_schema(next((demo / f"{split}_{kind}").glob("*.parquet")))
        real = pq.read_schema(next((REAL_MINI / f"{split}_{kind}").glob("*.parquet")))
        assert ours.names == real.names
        assert [str(t) for t in ours.types] == [str(t) for t in real.types]


def test_parquet_columns(demo, train):
    eeg = pd.read_parquet(demo / "train_eegs" / f"{train['eeg_id'].iloc[0]}.parquet")
    assert tuple(eeg.columns) == RAW_COLUMNS and (eeg.dtypes == np.float32).all()
    spec = pd.read_parquet(
        demo / "train_spectrograms" / f"{train['spectrogram_id'].iloc[0]}.parquet"
    )
    assert tuple(spec.columns) == ("time", *SPECTROGRAM_COLUMNS)
    assert spec["time"].iloc[:3].tolist() == [1, 3, 5]
    assert (spec.iloc[:, 1:].dtypes == np.float32).all()


def test_test_recordings_have_kaggle_sizes(demo):
    test = pd.read_csv(demo / "test.csv")
    assert len(test) >= 2
    for row in test.itertuples():
        assert len(pd.read_parquet(demo / "test_eegs" / f"{row.eeg_id}.parquet")) == 10_000
        spec = pd.read_parquet(demo / "test_spectrograms" / f"{row.spectrogram_id}.parquet")
        assert len(spec) == 300
    submission = pd.read_csv(demo / "sample_submission.csv")
    assert submission["eeg_id"].tolist() == test["eeg_id"].tolist()
    np.testing.assert_allclose(submission[list(VOTE_COLUMNS)].to_numpy(), 1 / 6)


# --- geometry ---------------------------------------------------------------------------------


def test_every_window_fits(demo, train):
    for (eeg_id, spec_id), rows in train.groupby(["eeg_id", "spectrogram_id"]):
        n_samples = pq.read_metadata(demo / "train_eegs" / f"{eeg_id}.parquet").num_rows
        starts = (rows["eeg_label_offset_seconds"] * SFREQ).astype(int)
        assert (starts + 10_000 <= n_samples).all()
        assert (n_samples - 10_000) % 400 == 0  # 50 s + k x 2 s
        times = pd.read_parquet(
            demo / "train_spectrograms" / f"{spec_id}.parquet", columns=["time"]
        )["time"].to_numpy()
        for offset in rows["spectrogram_label_offset_seconds"]:
            assert ((times >= offset) & (times < offset + 600)).sum() == 300
    for column in ("eeg_label_offset_seconds", "spectrogram_label_offset_seconds"):
        assert (train[column] % 2 == 0).all()
    first = train.groupby("eeg_id")["eeg_label_offset_seconds"].min()
    assert (first == 0).all()


def test_eeg_and_spectrogram_describe_the_same_signal(demo, train):
    # a spectrogram recomputed from the EEG file matches the stored one where they overlap
    row = train.iloc[0]
    eeg = pd.read_parquet(demo / "train_eegs" / f"{row.eeg_id}.parquet")
    spec = pd.read_parquet(demo / "train_spectrograms" / f"{row.spectrogram_id}.parquet")
    # EEG sample 0 sits at the odd spectrogram time start_sec: skip 1 s so that the recomputed
    # rows (centred 1, 3, ... s after the first sample) fall on the stored rows' odd times
    x = np.nan_to_num(eeg[list(EEG_CHANNELS)].to_numpy().T)[:, int(SFREQ) :]
    _, power = kaggle_spectrogram(x, sfreq=SFREQ)
    start_sec = row.spectrogram_label_offset_seconds - row.eeg_label_offset_seconds + 275
    times = np.arange(len(power))[4:-4] * 2 + 2 + start_sec
    stored = spec.set_index("time").loc[times.astype(int)]
    ratio = np.median(stored.to_numpy() / power[4:-4])
    assert 0.8 < ratio < 1.25


# --- patients, rows, truth --------------------------------------------------------------------


def test_patients_and_rows(demo, train):
    per_patient = train.groupby("patient_id")["eeg_id"].nunique()
    assert (per_patient >= 1).all() and per_patient.max() > 1
    assert train.groupby("eeg_id").size().max() > 1
    test = pd.read_csv(demo / "test.csv")
    assert not set(test["patient_id"]) & set(train["patient_id"])
    assert not set(test["eeg_id"]) & set(train["eeg_id"])


def test_truth_file(demo, train):
    truth = pd.read_csv(demo / "demo_truth.csv")
    assert list(truth.columns) == ["split", "eeg_id", "label_id", *PROB_COLUMNS]
    np.testing.assert_allclose(truth[list(PROB_COLUMNS)].sum(axis=1), 1.0, atol=1e-9)
    assert set(truth.loc[truth["split"] == "train", "label_id"]) == set(train["label_id"])
    test = pd.read_csv(demo / "test.csv")
    test_truth = truth[truth["split"] == "test"]
    assert test_truth["label_id"].isna().all()
    assert set(test_truth["eeg_id"]) == set(test["eeg_id"])
    solution = pd.read_csv(demo / "demo_test_solution.csv")
    assert list(solution.columns) == ["eeg_id", *VOTE_COLUMNS]
    assert (solution[list(VOTE_COLUMNS)].sum(axis=1) >= 10).all()


# --- determinism ------------------------------------------------------------------------------


def test_same_seed_same_files(demo, tmp_path):
    write_demo_dataset(tmp_path / "a", n_eegs=12, seed=3, n_jobs=2, progress=False)
    for name in ("train.csv", "test.csv", "demo_truth.csv", "demo_test_solution.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (demo / name).read_bytes()
    for path in sorted((demo / "train_eegs").glob("*.parquet"))[:3]:
        ours = pd.read_parquet(tmp_path / "a" / "train_eegs" / path.name)
        pd.testing.assert_frame_equal(ours, pd.read_parquet(path))
    write_demo_dataset(tmp_path / "b", n_eegs=12, seed=4, n_jobs=1, progress=False)
    assert (tmp_path / "b" / "train.csv").read_bytes() != (demo / "train.csv").read_bytes()


@pytest.mark.parametrize(
    "kwargs", [{"n_eegs": 0}, {"n_eegs": 2.5}, {"seed": -1}, {"n_jobs": 0}, {"n_eegs": True}]
)
def test_bad_arguments(tmp_path, kwargs):
    with pytest.raises(ValueError):
        write_demo_dataset(tmp_path, **{"progress": False, **kwargs})


def test_out_dir_that_is_a_file(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(ValueError, match="not a folder"):
        write_demo_dataset(target, n_eegs=1, progress=False)


# --- spectrogram and morphology known answers -------------------------------------------------


def test_kaggle_spectrogram_sine_peaks_at_10_hz():
    t = np.arange(int(30 * SFREQ)) / SFREQ
    x = np.sin(2 * np.pi * 10.0 * t) * np.arange(1, 20)[:, None]
    times, power = kaggle_spectrogram(x, sfreq=SFREQ)
    assert times.tolist() == list(range(1, 30, 2))
    assert power.shape == (15, 400) and power.dtype == np.float32
    peak = np.asarray(SPECTROGRAM_COLUMNS).reshape(4, 100)[
        :, power.reshape(15, 4, 100)[7].argmax(1)
    ]
    assert [c.split("_")[1] for c in np.diag(peak)] == ["9.96"] * 4


def test_kaggle_spectrogram_power_scale():
    # white noise of variance s2 on one channel: density s2 / sfreq (one-sided, not doubled)
    rng = np.random.default_rng(0)
    x = np.zeros((19, int(60 * SFREQ)))
    x[EEG_CHANNELS.index("F7")] = rng.normal(0, 10.0, x.shape[1])
    _, power = kaggle_spectrogram(x, sfreq=SFREQ)
    # F7 is in 2 of the 4 LL pairs: chain mean = 2/4 of one pair's density
    assert power[:, :100].mean() == pytest.approx(0.5 * 100.0 / SFREQ, rel=0.1)


def test_rhythmic_delta_is_lateralised():
    rng = np.random.default_rng(1)
    x = rhythmic_delta(
        rng, int(30 * SFREQ), sfreq=SFREQ, amplitude_uv=100, freq_hz=1.5, side=-1, laterality=1.0
    )
    delta = _band_power(x, 0.5, 3.0)
    assert delta[LEFT].sum() > 10 * delta[RIGHT].sum()
    general = rhythmic_delta(
        rng, int(30 * SFREQ), sfreq=SFREQ, amplitude_uv=100, freq_hz=1.5, side=-1, laterality=0.0
    )
    delta = _band_power(general, 0.5, 3.0)
    assert 0.5 < delta[LEFT].sum() / delta[RIGHT].sum() < 2.0
    assert delta[EEG_CHANNELS.index("Fp1")] > delta[EEG_CHANNELS.index("O1")]


def test_seizure_frequency_evolves():
    x = seizure_activity(np.random.default_rng(2), int(120 * SFREQ), sfreq=SFREQ, amplitude_uv=100)
    segment = int(5 * SFREQ)
    peaks = []
    for start in range(0, x.shape[1] - segment, segment):
        freqs, psd = welch(x[:, start : start + segment].sum(axis=0), fs=SFREQ, nperseg=segment)
        if psd.max() > 0:
            peaks.append(freqs[psd.argmax()])
    assert max(peaks) - min(peaks) > 3.0
    assert 2.0 <= min(peaks) and max(peaks) <= 12.5


def test_periodic_discharges_rate_and_side():
    rate = 1.25
    x = periodic_discharges(
        np.random.default_rng(3),
        int(60 * SFREQ),
        sfreq=SFREQ,
        amplitude_uv=150,
        rate_hz=rate,
        side=1,
        laterality=1.0,
    )
    right, left = np.abs(x[RIGHT]).sum(), np.abs(x[LEFT]).sum()
    assert right > 10 * left
    trace = x[RIGHT].sum(axis=0)
    sharp = np.flatnonzero(
        (trace < -0.5 * np.abs(trace).max())[1:] & (trace >= -0.5 * np.abs(trace).max())[:-1]
    )
    intervals = np.diff(sharp) / SFREQ
    assert np.median(intervals) == pytest.approx(1 / rate, rel=0.1)
    # sharp: the main deflection lasts well under 200 ms
    assert np.mean(np.abs(trace) > 0.5 * np.abs(trace).max()) < 0.1 * rate


def test_vote_sampler_matches_real_baselines():
    # many EEGs of the label model alone: uniform KL near the real 1.402 / 1.089
    rng = np.random.default_rng(5)
    votes, reliable = [], []
    for regime, share in (
        ("low", 1 - calibration.HIGH_REGIME_SHARE),
        ("high", calibration.HIGH_REGIME_SHARE),
    ):
        n = int(20_000 * share)
        truth = sample_truth(rng, regime, n)
        totals = sample_vote_totals(rng, regime, n)
        votes += [
            sample_votes(rng, p, int(k), 1, identical=True)[0]
            for p, k in zip(truth, totals, strict=True)
        ]
    votes = np.asarray(votes, dtype=float)
    y = votes / votes.sum(axis=1, keepdims=True)
    reliable = votes.sum(axis=1) >= 10
    uniform = (np.where(y > 0, y * np.log(np.where(y > 0, y, 1) * 6), 0)).sum(axis=1)
    assert uniform.mean() == pytest.approx(1.402, abs=0.2)
    assert uniform[reliable].mean() == pytest.approx(1.089, abs=0.2)
    assert 0.3 < reliable.mean() < 0.45


def test_sample_votes_identical_rows():
    rng = np.random.default_rng(0)
    same = sample_votes(rng, np.full(6, 1 / 6), 12, 5, identical=True)
    assert (same == same[0]).all() and (same.sum(axis=1) == 12).all()
    with pytest.raises(ValueError):
        sample_votes(rng, np.full(6, 1 / 6), 0, 5, identical=True)


# --- calibrated signal (known answers vs the fitted constants) ------------------------------


def test_shaped_noise_has_the_requested_density():
    from pipelines.demo.signals import shaped_noise

    n = int(300 * SFREQ)
    psd = np.full(n // 2 + 1, 4.0)  # 4 uV^2/Hz, white: variance 4 * 100 Hz = 400 uV^2
    x = shaped_noise(np.random.default_rng(0), psd, 2, n, sfreq=SFREQ)
    _, measured = welch(x, fs=SFREQ, nperseg=400, axis=-1)
    assert np.median(measured[:, 5:-5]) == pytest.approx(4.0, rel=0.05)
    assert x.std() == pytest.approx(20.0, rel=0.05)


def test_long_background_has_the_fitted_bipolar_spectrum():
    from pipelines.demo.realism import SPECTRUM_BINS_HZ, window_log_spectra
    from pipelines.demo.signals import background, spectrum_log_power

    n = int(600 * SFREQ)
    x = background(np.random.default_rng(1), n, sfreq=SFREQ, spectrum=calibration.SPECTRUM_MEAN)
    spectra = window_log_spectra(x)
    measured = np.mean(list(spectra.values()), axis=0)
    bins = np.arange(1, 40)  # 1-2 .. 39-40 Hz: the bin mean of the model
    model = [
        np.log10(np.mean(10 ** spectrum_log_power(calibration.SPECTRUM_MEAN, [b, b + 0.5])))
        for b in SPECTRUM_BINS_HZ[bins]
    ]
    np.testing.assert_allclose(measured[bins], model, atol=0.12)
    # at the anchors themselves the fitted values come back
    anchors = [int(f) for f in calibration.SPECTRUM_ANCHORS_HZ[1:]]
    np.testing.assert_allclose(measured[anchors], calibration.SPECTRUM_MEAN[1:], atol=0.15)


def test_common_reference_sets_the_referential_to_bipolar_power():
    from features.montage import to_bipolar
    from pipelines.demo.signals import background, typical_bipolar_gain

    gain = typical_bipolar_gain()
    share = max(calibration.REFERENTIAL_TO_BIPOLAR_POWER * gain - 1.0, 0.0)
    ratios = []
    for seed in range(6):
        x = background(
            np.random.default_rng(seed),
            int(120 * SFREQ),
            sfreq=SFREQ,
            spectrum=calibration.SPECTRUM_MEAN,
            reference_share=share,
        )
        ratios.append((np.median(x.std(axis=1)) / np.median(to_bipolar(x).std(axis=1))) ** 2)
    # the real ratio where the spatial model allows it, else the model's own (no reference)
    expected = max(calibration.REFERENTIAL_TO_BIPOLAR_POWER, 1.0 / gain)
    assert np.median(ratios) == pytest.approx(expected, rel=0.2)


def test_fast_sd_and_ekg_leak_corr_known_answers():
    from pipelines.demo.signals import ekg_leak_corr, fast_sd

    t = np.arange(int(20 * SFREQ)) / SFREQ
    slow, fast = np.sin(2 * np.pi * 1.0 * t), 3.0 * np.sin(2 * np.pi * 10.0 * t)
    # only the part above 5 Hz counts: a 10 Hz sine of amplitude 3 has s.d. 3 / sqrt(2)
    assert fast_sd(slow + fast, sfreq=SFREQ) == pytest.approx(3.0 / np.sqrt(2), rel=1e-6)
    assert fast_sd(slow, sfreq=SFREQ) == pytest.approx(0.0, abs=1e-9)
    # the heart's 10 Hz part on Fp1 alone, with an equal-power 20 Hz part on every channel:
    # Fp1-F7 holds 10 Hz (power 1/2) + a 20 Hz difference of zero, so correlation 1; slow
    # activity in the EKG column does not count
    x = np.tile(np.sin(2 * np.pi * 20.0 * t), (len(EEG_CHANNELS), 1))
    x[EEG_CHANNELS.index("Fp1")] += np.sin(2 * np.pi * 10.0 * t)
    heart = np.sin(2 * np.pi * 10.0 * t) + 50.0 * slow
    assert ekg_leak_corr(x, heart, sfreq=SFREQ) == pytest.approx(1.0, abs=1e-6)
    assert ekg_leak_corr(x, 50.0 * slow, sfreq=SFREQ) == 0.0


def test_ekg_rms_and_leakage_correlation():
    from pipelines.demo.signals import ekg, ekg_leak_corr, ekg_leakage

    rng = np.random.default_rng(4)
    n = int(120 * SFREQ)
    heart = ekg(rng, n, sfreq=SFREQ, rms_uv=24.0)
    assert heart.std() == pytest.approx(24.0, rel=1e-6)
    x = rng.standard_normal((len(EEG_CHANNELS), n)) * 30.0
    clean = x.copy()
    ekg_leakage(rng, x, heart, corr=0.2, sfreq=SFREQ)
    assert ekg_leak_corr(clean, heart, sfreq=SFREQ) < 0.05
    # the strongest bipolar derivation's correlation above 5 Hz is the one asked for
    assert ekg_leak_corr(x, heart, sfreq=SFREQ) == pytest.approx(0.2, abs=0.03)
    assert int(np.sum(np.any(x != clean, axis=1))) == 4


def test_patient_draws_follow_the_fitted_distributions():
    from pipelines.demo.plan import _draw_patients

    d = _draw_patients(np.random.default_rng(5), 3000, 2)
    spectrum = d["spectrum"]
    # clipping to the seen range moves the mean a little; 0.1 log10 is far below the spread
    np.testing.assert_allclose(spectrum.mean(axis=0), calibration.SPECTRUM_MEAN, atol=0.1)
    assert np.all(spectrum >= calibration.SPECTRUM_LOW) and np.all(
        spectrum <= calibration.SPECTRUM_HIGH
    )
    assert np.mean(d["alpha_uv"] > 0) == pytest.approx(calibration.ALPHA_PREVALENCE, abs=0.04)
    assert np.median(d["ekg_rms_uv"]) == pytest.approx(calibration.EKG_RMS_UV[0], rel=0.15)
