"""The page of one label row: the bipolar traces of its 50 s window, the Kaggle spectrogram
slice, the votes beside the predicted probabilities, and the features that pushed them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from features.montage import BIPOLAR_NAMES, KAGGLE_CHAINS, SFREQ, SPECTROGRAM_FREQS_HZ, to_bipolar
from features.windows import (
    CENTRE_SEC,
    EEG_WINDOW_SEC,
    apply_nan_policy,
    cut_eeg_windows,
    spectrogram_slice_rows,
)
from models.explain import shap_values
from models.labels import CLASSES, VOTE_COLUMNS
from pipelines.kaggle_io import KaggleLayout, read_eeg, read_spectrogram, read_train_labels
from pipelines.report.html import Html, join, page, render, table_html
from pipelines.report.inputs import ReportInputs
from pipelines.report.plots import CLASS_LABELS, class_colors, class_names, figure_html, pyplot


def recording_page(inputs: ReportInputs, eeg_id: int, row_index: int | None = None) -> Html:
    """The HTML page of one label row (the first of the EEG unless ``row_index``)."""
    layout = KaggleLayout(inputs.data_dir)
    table = inputs.table
    rows = table.index[table["eeg_id"] == eeg_id]
    if len(rows) == 0:
        raise ValueError(f"eeg_id {eeg_id} is not in the train feature table of {layout.root}")
    row = table.loc[rows[0] if row_index is None else row_index]
    labels = read_train_labels(layout.train_csv)
    label = labels[(labels["eeg_id"] == eeg_id) & (labels["eeg_sub_id"] == row["eeg_sub_id"])]
    offset = float(label["eeg_label_offset_seconds"].iloc[0])
    spec_offset = float(label["spectrogram_label_offset_seconds"].iloc[0])
    traces = _traces_figure(layout.eeg_path("train", eeg_id), eeg_id, offset)
    spec_path = layout.spectrogram_path("train", int(row["spectrogram_id"]))
    if not spec_path.is_file():
        spectrogram = render("<p class='note'>{p} is not there.</p>", p=str(spec_path))
    else:
        spectrogram = _spectrogram_figure(spec_path, spec_offset)
    return _recording_html(inputs, row, eeg_id, offset, spec_offset, traces, spectrogram)


def _traces_figure(eeg_path: Path, eeg_id: int, offset: float) -> Html:
    plt = pyplot()
    raw = read_eeg(eeg_path)
    clean = apply_nan_policy(raw[:19])
    window = cut_eeg_windows(to_bipolar(clean.x), np.array([offset]))[0]
    t = np.arange(window.shape[-1]) / SFREQ
    fig, ax = plt.subplots(figsize=(15, 9))
    scale = max(float(np.percentile(np.abs(window), 99)), 1.0)
    for i in range(len(BIPOLAR_NAMES)):
        ax.plot(t, window[i] / (2 * scale) - i, lw=0.5, color="#222")
    lo = (EEG_WINDOW_SEC - CENTRE_SEC) / 2
    ax.axvspan(lo, lo + CENTRE_SEC, color="#ffd54f", alpha=0.3, label="labelled 10 s")
    ax.set_yticks(-np.arange(len(BIPOLAR_NAMES)), BIPOLAR_NAMES, fontsize=8)
    ax.set(
        xlabel="time in the window (s)",
        xlim=(0, EEG_WINDOW_SEC),
        title=f"EEG {eeg_id}, offset {offset:g} s: bipolar montage "
        f"(scale: {2 * scale:.0f} uV between rows)",
    )
    ax.legend(loc="upper right")
    return figure_html(fig, "bipolar traces")


def _spectrogram_figure(spec_path: Path, spec_offset: float) -> Html:
    plt = pyplot()
    times, power = read_spectrogram(spec_path)
    slice_rows = spectrogram_slice_rows(times, np.array([spec_offset]))[0]
    fig, axes = plt.subplots(1, 4, figsize=(17, 3.2), sharey=True)
    block = np.log10(np.clip(power[slice_rows], 1e-4, None))
    for k, (ax, chain) in enumerate(zip(axes, KAGGLE_CHAINS, strict=True)):
        data = block[:, k * 100 : (k + 1) * 100].T
        im = ax.imshow(
            data,
            aspect="auto",
            origin="lower",
            cmap="magma",
            extent=(0, 600, SPECTROGRAM_FREQS_HZ[0], SPECTROGRAM_FREQS_HZ[-1]),
        )
        ax.axvspan(275, 325, fill=False, edgecolor="cyan", lw=1)
        ax.set(title=f"{chain} chain", xlabel="time in the 10 min slice (s)")
    axes[0].set_ylabel("Hz")
    fig.colorbar(im, ax=axes, fraction=0.02, label="log10 power")
    return figure_html(fig, "spectrogram slice", tight=False)


def _votes_figure(votes: np.ndarray, probs: np.ndarray) -> Html:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 3.2))
    x = np.arange(6)
    colors = class_colors()
    ax.bar(
        x - 0.2, votes / votes.sum(), 0.4, color=colors, alpha=0.45, label="expert votes (share)"
    )
    ax.bar(x + 0.2, probs, 0.4, color=colors, label="predicted")
    ax.set_xticks(x, class_names())
    ax.set(
        ylim=(0, 1),
        ylabel="probability",
        title=f"{int(votes.sum())} expert votes (light) vs predicted (dark)",
    )
    return figure_html(fig, "votes and predictions")


def _drivers_table(inputs: ReportInputs, X: np.ndarray, probs: np.ndarray) -> Html:
    shap = shap_values(inputs.bundle, X)
    if shap is None:
        return Html("")
    k = int(np.argmax(probs))
    contrib = shap[0, k]
    top = np.argsort(-np.abs(contrib))[:12]
    frame = pd.DataFrame(
        {
            "feature": [inputs.columns[i] for i in top],
            "value": X[0, top],
            f"SHAP toward {CLASS_LABELS[CLASSES[k]]}": contrib[top],
        }
    )
    return join(
        [
            render(
                "<h2>What pushed the prediction</h2><p class='note'>LightGBM TreeSHAP "
                "contributions to the raw score of the predicted class ({name}).</p>",
                name=CLASS_LABELS[CLASSES[k]],
            ),
            table_html(frame),
        ]
    )


def _recording_html(inputs, row, eeg_id, offset, spec_offset, traces, spectrogram) -> Html:
    X = row[inputs.columns].to_numpy(dtype=np.float32)[None]
    probs = inputs.bundle.predict(X)[0]
    votes = row[list(VOTE_COLUMNS)].to_numpy(dtype=float)
    probs_table = pd.DataFrame(
        {"class": class_names(), "votes": votes.astype(int), "predicted": probs}
    )
    body = render(
        "<p><a href='index.html'>back to the report</a></p><h1>EEG {eeg_id}</h1>"
        "<p>patient {patient}, label row {sub}, EEG offset {offset:g} s, spectrogram {spec} "
        "from {spec_offset:g} s</p><h2>Votes and prediction</h2><div class='grid'>"
        "{bars}{table}</div><h2>EEG window</h2>{traces}"
        "<h2>Kaggle spectrogram (10 minutes; the EEG window boxed)</h2>{spectrogram}{drivers}",
        eeg_id=eeg_id,
        patient=int(row["patient_id"]),
        sub=int(row["eeg_sub_id"]),
        offset=offset,
        spec=int(row["spectrogram_id"]),
        spec_offset=spec_offset,
        bars=_votes_figure(votes, probs),
        table=table_html(probs_table, "{:.3f}"),
        traces=traces,
        spectrogram=spectrogram,
        drivers=_drivers_table(inputs, X, probs),
    )
    return page(f"EEG {eeg_id}", body)
