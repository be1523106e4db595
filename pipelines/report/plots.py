"""Plot helpers shared by the report's sections: the class colours, figures as embedded PNG,
and the scalp geometry of per-channel values."""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd

from features.montage import BIPOLAR_NAMES
from features.naming import parse_column
from models.labels import CLASSES, CONSENSUS_NAMES
from pipelines.report.html import Html, render

CLASS_LABELS = dict(zip(CLASSES, CONSENSUS_NAMES, strict=True))
CLASS_COLORS = {
    "seizure": "#d62728",
    "lpd": "#ff7f0e",
    "gpd": "#bcbd22",
    "lrda": "#1f77b4",
    "grda": "#17becf",
    "other": "#7f7f7f",
}
"""One colour per class, used on every plot."""


def pyplot():
    """matplotlib's pyplot on the non-interactive Agg backend (imported on first use)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Wide figures are shown scaled down to the page (about 0.75x): text large enough to read.
    plt.rcParams.update({"font.size": 12, "axes.titlesize": 13, "legend.fontsize": 10})
    return plt


def figure_html(fig, alt: str, *, tight: bool = True) -> Html:
    """A matplotlib figure as an embedded PNG ``<img>`` (the figure is closed)."""
    plt = pyplot()
    buffer = io.BytesIO()
    if tight:
        fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode()
    return render('<img alt="{alt}" src="data:image/png;base64,{data}">', alt=alt, data=data)


def class_names() -> list[str]:
    return [CLASS_LABELS[c] for c in CLASSES]


def class_colors() -> list[str]:
    return [CLASS_COLORS[c] for c in CLASSES]


ELECTRODE_XY: dict[str, tuple[float, float]] = {
    "Fp1": (-0.26, 0.80), "Fp2": (0.26, 0.80),
    "F7": (-0.66, 0.48), "F3": (-0.33, 0.42), "Fz": (0.0, 0.40), "F4": (0.33, 0.42),
    "F8": (0.66, 0.48),
    "T3": (-0.82, 0.0), "C3": (-0.41, 0.0), "Cz": (0.0, 0.0), "C4": (0.41, 0.0),
    "T4": (0.82, 0.0),
    "T5": (-0.66, -0.48), "P3": (-0.33, -0.42), "Pz": (0.0, -0.40), "P4": (0.33, -0.42),
    "T6": (0.66, -0.48),
    "O1": (-0.26, -0.80), "O2": (0.26, -0.80),
}  # fmt: skip
"""The 19 electrodes on a unit head seen from above (nose up), 10-20 layout."""


def derivation_values(per_feature: pd.Series) -> np.ndarray:
    """Sum of the values of each bipolar derivation's columns.

    Returns
    -------
    array, shape (18,), in ``BIPOLAR_NAMES`` order; chain, region and recording columns add
    nothing.
    """
    index = {name: i for i, name in enumerate(BIPOLAR_NAMES)}
    out = np.zeros(len(BIPOLAR_NAMES))
    for name, value in per_feature.items():
        unit = parse_column(str(name)).unit
        if unit in index:
            out[index[unit]] += value
    return out


def draw_scalp(ax, values: np.ndarray, norm, cmap) -> None:
    """Each bipolar derivation as a segment between its two electrodes, coloured by its value
    (nothing is interpolated or extrapolated); electrodes named."""
    import matplotlib.patches as patches

    ax.add_patch(patches.Circle((0, 0), 1.0, fill=False, lw=1.2, color="#555"))
    ax.plot([-0.1, 0, 0.1], [0.99, 1.1, 0.99], color="#555", lw=1.2)  # nose
    lookup = {c.lower(): c for c in ELECTRODE_XY}
    for value, name in zip(values, BIPOLAR_NAMES, strict=True):
        a, b = (lookup[e] for e in name.split("-"))
        (x0, y0), (x1, y1) = ELECTRODE_XY[a], ELECTRODE_XY[b]
        ax.plot([x0, x1], [y0, y1], color=cmap(norm(value)), lw=11, solid_capstyle="butt")
    for name, (x, y) in ELECTRODE_XY.items():
        ax.plot(x, y, "o", ms=19, color="white", mec="#333", mew=0.8)
        ax.text(x, y, name, ha="center", va="center", fontsize=9)
    ax.set(xlim=(-1.15, 1.15), ylim=(-1.15, 1.2), aspect="equal")
    ax.axis("off")
