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
