"""Plot helpers shared by the report's sections: the class colours, figures as embedded PNG,
and the scalp geometry of per-channel values."""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd

from features.montage import BIPOLAR_NAMES, EEG_CHANNELS
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


def scalp_values(per_feature: pd.Series) -> np.ndarray:
    """Per-channel values summed per bipolar derivation, shared half-half between its two
    electrodes.

    Parameters
    ----------
    per_feature : Series indexed by feature column name

    Returns
    -------
    array, shape (19,), in ``EEG_CHANNELS`` order; columns of chains, regions or whole
    recordings add nothing.
    """
    electrodes = np.zeros(len(EEG_CHANNELS))
    index = {c.lower(): i for i, c in enumerate(EEG_CHANNELS)}
    derivations = set(BIPOLAR_NAMES)
    for name, value in per_feature.items():
        unit = parse_column(str(name)).unit
        if unit in derivations:
            a, b = unit.split("-")
            electrodes[index[a]] += value / 2
            electrodes[index[b]] += value / 2
    return electrodes
