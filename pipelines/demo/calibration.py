"""Fitted constants of the demo generator, each with where it came from.

The label tables were measured once on the real labels (see the block comment below); nothing of
the real data is stored here, only the fitted numbers.
"""

from __future__ import annotations

# ---------------------------------------------------------------------------------------------
# Calibration tables, measured once on ../shared/hms_labels/train_labels_reconstructed.csv
# (106,667 real rows, 17,067 EEGs, 1,950 patients) with
#     python -m pipelines.demo.label_stats ../shared/hms_labels/train_labels_reconstructed.csv
# (``pipelines.demo.label_stats.calibration_tables``; tests/test_label_stats.py checks they still
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
# Signal constants, fitted on the 9 real recordings of ../shared/hms_real_mini with
#     python -m pipelines.demo.fit ../shared/hms_real_mini
# (up to 3 label windows of 50 s per EEG, each recording counted once; see that module for the
# definitions). Nine recordings are few: these are rough, and ranges are kept to what was seen.
# ---------------------------------------------------------------------------------------------

SPECTRUM_ANCHORS_HZ: tuple[float, ...] = (0.5, 1.5, 2.5, 4.5, 8.5, 12.5, 19.5, 29.5, 39.5)
"""Frequencies (Hz, 1 Hz bin centres) where the background spectrum is set."""

SPECTRUM_MEAN: tuple[float, ...] = (1.958, 2.09, 1.771, 1.227, 0.502, 0.141, -0.335, -0.706, -0.894)
"""Mean over recordings of the log10 power (uV^2/Hz) of the mean bipolar derivation (mean over
the five chains of ``realism.window_log_spectra``) in the 1 Hz bins at ``SPECTRUM_ANCHORS_HZ``
(``fit.py`` ``SPECTRUM_MEAN``)."""

SPECTRUM_COV: tuple[tuple[float, ...], ...] = (
    (0.461, 0.29, 0.204, 0.228, 0.328, 0.423, 0.496, 0.6, 0.578),
    (0.29, 0.306, 0.215, 0.211, 0.249, 0.272, 0.279, 0.3, 0.265),
    (0.204, 0.215, 0.17, 0.186, 0.205, 0.216, 0.225, 0.25, 0.226),
    (0.228, 0.211, 0.186, 0.262, 0.301, 0.3, 0.307, 0.339, 0.299),
    (0.328, 0.249, 0.205, 0.301, 0.4, 0.434, 0.462, 0.523, 0.471),
    (0.423, 0.272, 0.216, 0.3, 0.434, 0.518, 0.586, 0.69, 0.647),
    (0.496, 0.279, 0.225, 0.307, 0.462, 0.586, 0.719, 0.897, 0.878),
    (0.6, 0.3, 0.25, 0.339, 0.523, 0.69, 0.897, 1.178, 1.189),
    (0.578, 0.265, 0.226, 0.299, 0.471, 0.647, 0.878, 1.189, 1.223),
)  # fmt: skip
"""Covariance of those values between recordings (rank <= 8 with 9 recordings: a drawn spectrum
varies the way the real ones do)."""

SPECTRUM_LOW: tuple[float, ...] = (0.875, 0.846, 0.815, 0.4, -0.532, -1.062, -1.769, -2.431, -2.612)
SPECTRUM_HIGH: tuple[float, ...] = (3.68, 3.294, 2.876, 2.694, 2.285, 2.105, 1.734, 1.579, 1.188)
"""Smallest and largest value of each over the 9 recordings, widened by 0.3: draws are clipped."""

BACKGROUND_MODULATION: tuple[float, float] = (0.17, 0.7)
"""Slow modulation of the background power: its log10 s.d. is drawn per recording as
``median * exp(ln_sd * N(0, 1))`` (at most 0.6). The real spectrograms' 10-minute s.d. of log10
1-20 Hz power is 0.09-0.46, median 0.18 (``fit.py``, "spectrogram log10 power s.d."); a
stationary demo background shows 0.065 (estimation noise), so the modulation adds
sqrt(0.18^2 - 0.065^2) = 0.17 at the median."""

ASYMMETRY_SD = 0.3
"""S.d. over recordings of the background's left-right log10 power ratio across the head. Set
by hand: without it the real rows' left-right delta asymmetries (median
``eeg_laterality_lr_delta_*`` -0.04 to -0.09) fell outside the demo's 1-99% range."""

REFERENTIAL_TO_BIPOLAR_POWER = 1.656
"""Median over recordings of (median referential channel RMS / median bipolar RMS)^2; sets the
common-reference power (``reference_share`` of ``signals.background``)."""

BIPOLAR_RMS_UV = 25.6
"""Median bipolar derivation RMS of the real recordings (microvolts); patterns are scaled by
a recording's background RMS relative to it."""

ALPHA_PREVALENCE = 0.333
"""Share of recordings whose posterior chains (LP, RP) carry power above the aperiodic fit at
7-14 Hz (3 of 9). Posterior dominant rhythm is often absent or slowed in ICU EEG, and with 9
recordings this is a rough figure."""

ALPHA_UV: tuple[float, float] = (3.0, 10.0)
"""Range of the alpha amplitude on O1/O2 (peak, referential, uV) when present: set so that the
excess posterior 7-14 Hz power spans the measured log10 0.1-2.5 uV^2/Hz summed over the bins."""

EKG_RMS_UV: tuple[float, float] = (24.0, 1.367)
"""EKG column RMS: median (uV) and standard deviation of its natural log over recordings."""

EKG_LEAK_CORR: tuple[float, float] = (0.152, 0.82)
"""``signals.ekg_leak_corr`` (largest |correlation| of a bipolar derivation with the EKG column,
both above 5 Hz): median and s.d. of its log over recordings. It was measured first on the
referential channels over the whole band (median 0.154, ln s.d. 0.573), where the shared
reference and slow drifts make most of it; leaking the EKG at that strength put 0.45 of fast
bipolar correlation (median over 40 demo EEGs) and about 0.4 log10 too much 12-20 Hz power into
the demo, which the realism check's discriminator read off the spectrogram's beta minima."""

NAN_RUN_SHARE = 0.05
"""Share of recordings with short all-channel NaN runs (none of the 9 real ones has any; the
full Kaggle set does have NaN stretches, so a few are kept for the pipeline's sake)."""

SEIZURE_UV, DISCHARGE_UV, RHYTHMIC_DELTA_UV = 100.0, 300.0, 250.0
"""Pattern peak amplitude (uV at the focus, referential) at probability 1 and typical background
(scaled by the recording's bipolar RMS / ``BIPOLAR_RMS_UV``); the background gives up the
patterns' power (``signals.background``'s ``pattern_psd``), so the total keeps the fitted
spectrum. Set by hand against ``fit.py``'s pattern measures per expert consensus on the 9 real
recordings (median over recordings; 1-3 recordings per class, so rough): kurtosis of the bipolar
derivations GPD 0.78 / LPD 0.45 / Other (1 recording, artifacts) 4.9; mean |correlation| between
derivations GPD 0.31, others 0.25-0.28; rhythm peak over the aperiodic fit (log10) LPD 0.23,
seizure 0.19, LRDA 0.17, GPD 0.13, Other 0.06. The demo at these values, 80 EEGs, seed 1
(measured before the seizure field was narrowed from 0.8 to 0.5 head radii and before the noisy
electrode was added): GPD
kurtosis 0.73, |correlation| 0.33, rhythm peak seizure 0.28, GPD 0.27, GRDA 0.19, LPD 0.14, LRDA
0.10, Other 0.10. At probability 0.8 that is 100-150 uV peak on the strongest bipolar derivation
for discharges and 50-100 uV for rhythmic delta (clinical ranges: 50-300 and 50-150 uV). The
earlier 35 / 60 / 40 uV (with a field of 0.7 head radii) drowned the patterns: the models learnt
almost nothing (LightGBM kl_test_like 1.061 against a class prior of 1.143)."""

NOISY_ELECTRODE_SHARE = 0.222
"""Share of recordings with one noisy electrode (2 of the 9 real ones: one channel whose
sample-to-sample differences have 4 and 72 times the median channel's s.d.; a loose or
high-impedance electrode, common in ICU recordings). Measured by hand on the 9 (referential
channel s.d. and s.d. of the first difference, strongest channel over the median one)."""

NOISY_ELECTRODE_RMS: tuple[float, float] = (0.5, 25.0)
"""Range (log-uniform) of that electrode's added white-noise s.d. over its own s.d.: the two real
ones have whole-signal ratios of 1.3 and 26.6 to the median channel."""

MUSCLE_UV: tuple[float, float] = (3.0, 15.0)
"""RMS range of a muscle burst (uV); at most 2 bursts a minute."""
