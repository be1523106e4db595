"""The report's feature section: importance per model, SHAP per class, scalp maps and the
class-wise distributions of the top features."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.montage import EEG_CHANNELS, SFREQ
from models.explain import importance, shap_values
from models.labels import CLASSES, VOTE_COLUMNS
from pipelines.report.html import Html, join, render
from pipelines.report.inputs import ReportInputs
from pipelines.report.plots import (
    CLASS_COLORS,
    CLASS_LABELS,
    class_names,
    figure_html,
    pyplot,
    scalp_values,
)


def _importance_figure(imp: dict[str, pd.Series]) -> Html:
    plt = pyplot()
    fig, axes = plt.subplots(1, len(imp), figsize=(8 * len(imp), 6.5), squeeze=False)
    for ax, (name, series) in zip(axes[0], imp.items(), strict=True):
        top = series.sort_values().tail(20)
        ax.barh(range(len(top)), top.to_numpy(), color="#4c72b0")
        ax.set_yticks(range(len(top)), top.index, fontsize=7)
        ax.set(title=f"{name}: importance (share of total)", xlabel="share")
    return figure_html(fig, "feature importance")


def _shap_figure(mean_abs: np.ndarray, columns: list[str]) -> Html:
    plt = pyplot()
    fig, axes = plt.subplots(3, 2, figsize=(16, 13))
    for k, (ax, c) in enumerate(zip(axes.ravel(), CLASSES, strict=True)):
        top = np.argsort(mean_abs[k])[-10:]
        ax.barh(range(10), mean_abs[k, top], color=CLASS_COLORS[c])
        ax.set_yticks(range(10), [columns[i] for i in top], fontsize=7)
        ax.set(title=f"{CLASS_LABELS[c]}: mean |SHAP| (LightGBM, raw score)")
    return figure_html(fig, "SHAP per class")


def _scalp_figure(mean_abs: np.ndarray, columns: list[str]) -> Html:
    import mne

    plt = pyplot()
    info = mne.create_info(list(EEG_CHANNELS), SFREQ, "eeg")
    info.set_montage(mne.channels.make_standard_montage("colin27_1020"))
    fig, axes = plt.subplots(1, 6, figsize=(18, 3.4))
    for k, (ax, c) in enumerate(zip(axes, CLASSES, strict=True)):
        values = scalp_values(pd.Series(mean_abs[k], index=columns))
        mne.viz.plot_topomap(
            values, info, axes=ax, show=False, cmap="Reds", contours=0, sensors=True
        )
        ax.set_title(CLASS_LABELS[c], color=CLASS_COLORS[c])
    return figure_html(fig, "scalp maps per class")


def _distributions_figure(table: pd.DataFrame, ranked) -> Html:
    plt = pyplot()
    consensus = table[list(VOTE_COLUMNS)].to_numpy().argmax(axis=1)
    fig, axes = plt.subplots(2, 3, figsize=(18, 7.5))
    for ax, name in zip(axes.ravel(), ranked, strict=False):
        data = [table[name].to_numpy()[consensus == k] for k in range(6)]
        box = ax.boxplot(data, patch_artist=True, showfliers=False)
        for patch, c in zip(box["boxes"], CLASSES, strict=True):
            patch.set_facecolor(CLASS_COLORS[c])
        ax.set_xticks(range(1, 7), class_names(), fontsize=8)
        ax.set_title(name, fontsize=8)
    return figure_html(fig, "top feature distributions by class")


def features_section(inputs: ReportInputs, n_rows: int = 600, seed: int = 0) -> Html:
    bundle, columns = inputs.bundle, inputs.columns
    imp = importance(bundle, columns)
    parts = [
        Html("<h2 id='features'>Features</h2><h3>Importance per model</h3>"),
        _importance_figure(imp),
    ]
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(inputs.table), size=min(n_rows, len(inputs.table)), replace=False)
    X = inputs.table[columns].to_numpy(dtype=np.float32)[np.sort(rows)]
    shap = shap_values(bundle, X)
    if shap is not None:
        mean_abs = np.abs(shap).mean(axis=0)  # (classes, features)
        parts.append(
            render(
                "<h3>SHAP per class</h3><p class='note'>TreeSHAP contributions of "
                "LightGBM's first stage on {n} training rows.</p>",
                n=len(X),
            )
        )
        parts.append(_shap_figure(mean_abs, columns))
        parts.append(
            Html(
                "<h3>Where the important per-channel features sit</h3><p class='note'>"
                "Mean |SHAP| of each bipolar channel's features, split between its two "
                "electrodes, on the standard 10-20 positions; darker is more important, each "
                "map on its own scale. Chain-level and spectrogram features are not drawn.</p>"
            )
        )
        parts.append(_scalp_figure(mean_abs, columns))
    ranked = next(iter(imp.values())).sort_values(ascending=False).index[:6]
    parts.append(Html("<h3>Top features by expert consensus</h3>"))
    parts.append(_distributions_figure(inputs.table, ranked))
    return join(parts)
