"""``hms inspect``: a self-contained HTML report of a trained bundle, and per-recording views.

The report (``W/reports/{run}/index.html``, images embedded as PNG, opens offline) opens with
a headline (the test-like out-of-fold score beside the prior and the starter set, the weakest
class) and names the data the bundle was trained on beside the data shown. It covers the data
(class balance, votes per row, rows per EEG, EEGs per patient), the scores (the CV table, KL
by class, by vote-count bucket and by fold), the behaviour (confusion of the blend's arg-max
against the expert consensus, reliability curves per class), the features (importance per
model, SHAP per class, per-derivation scalp maps, class-wise distributions of the top
features, an optional family ablation, the glossary) and example recordings chosen from the
out-of-fold predictions (per class a typical hit, a typical miss and the most confident
error), each on a page of its own (``eeg_{id}_{sub}.html``).

Modules: ``inputs`` (what is read), ``headline``, ``sections`` and ``feature_views`` (the
report's sections), ``recording`` and ``eeg_view`` (the per-recording page), ``plots`` and
``html`` (helpers; every value is escaped by construction).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from models.labels import CLASSES
from pipelines.config import WorkLayout
from pipelines.files import write_text_atomic
from pipelines.provenance import describe
from pipelines.report.feature_views import features_section, glossary_section
from pipelines.report.headline import headline_section
from pipelines.report.html import Html, join, page, render
from pipelines.report.inputs import ReportInputs, example_rows, load_inputs
from pipelines.report.plots import CLASS_LABELS
from pipelines.report.recording import recording_page
from pipelines.report.sections import (
    ablation_section,
    behaviour_section,
    data_section,
    scores_section,
)

__all__ = ["InspectSummary", "build_report"]

SECTION_IDS = ("headline", "data", "scores", "behaviour", "features", "examples", "glossary")


@dataclass
class InspectSummary:
    index: Path
    pages: list[Path]
    seconds: float
    warning: str | None = None


def page_name(eeg_id: int, sub_id: int | None) -> str:
    return f"eeg_{eeg_id}.html" if sub_id is None else f"eeg_{eeg_id}_{sub_id}.html"


def _example_pages(inputs: ReportInputs, out: Path, log) -> tuple[list[Path], Html]:
    if not inputs.same_data:
        note = Html(
            "<h2 id='examples'>Example recordings</h2><p class='note'>None: these data are not "
            "the bundle's training data, so there are no out-of-fold predictions to choose "
            "from. <code>hms inspect --eeg-id ID</code> draws any recording.</p>"
        )
        return [], note
    examples = example_rows(inputs.oof)
    pages, items = [], []
    for i, ex in enumerate(examples):
        log(f"inspect: example page {i + 1}/{len(examples)} (EEG {ex.eeg_id}) ...")
        path = out / page_name(ex.eeg_id, ex.sub_id)
        if path not in pages:
            write_text_atomic(path, recording_page(inputs, ex.eeg_id, ex.sub_id))
            pages.append(path)
        items.append(
            render(
                "<li>{cls}, {kind}: <a href='{href}'>EEG {eeg}, label row {sub}</a></li>",
                cls=CLASS_LABELS[CLASSES[ex.consensus]],
                kind=ex.kind,
                href=path.name,
                eeg=ex.eeg_id,
                sub=ex.sub_id,
            )
        )
    section = join(
        [
            Html(
                "<h2 id='examples'>Example recordings</h2><p class='note'>Chosen from the "
                "blend's out-of-fold predictions, per expert consensus class: a typical hit, "
                "a typical miss and the most confident error (rows with at least 10 votes "
                "where the class has any).</p><ul>"
            ),
            *items,
            Html("</ul>"),
        ]
    )
    return pages, section


def _header(inputs: ReportInputs) -> Html:
    meta = inputs.bundle.meta
    nav = join(render("<a href='#{s}'>{t}</a> ", s=s, t=s.title()) for s in SECTION_IDS)
    warning = render("<p class='warn'>{w}</p>", w=inputs.warning) if inputs.warning else Html("")
    return render(
        "<h1>HMS harmful brain activity: model report</h1>{warning}<p class='note'>Model "
        "{run} ({bundle}, strategy {strategy}), trained on {trained}. Data shown: {shown} "
        "({data}).</p><nav>{nav}</nav>",
        warning=warning,
        run=str(meta.get("run")),
        bundle=str(inputs.bundle.path),
        strategy=str(meta.get("strategy")),
        trained=describe(meta.get("dataset")),
        shown=describe(inputs.dataset),
        data=str(inputs.data_dir),
        nav=nav,
    )


def default_out(inputs: ReportInputs) -> Path:
    """``reports/{run}`` for the bundle's own data, ``reports/{run}-on-{data key}`` else."""
    run = inputs.bundle.path.name
    suffix = "" if inputs.same_data else f"-on-{inputs.dataset['key']}"
    return WorkLayout(inputs.work_dir).report(run + suffix)


def build_report(
    data_dir: Path,
    work_dir: Path,
    *,
    model_dir: Path | None = None,
    out: Path | None = None,
    ablation: bool = False,
    eeg_id: int | None = None,
    sub_id: int | None = None,
) -> InspectSummary:
    """Write the report (or, with ``eeg_id``, only that recording's page: its label row
    ``sub_id``, default the first; a test EEG works too)."""
    start = time.perf_counter()
    log = (lambda m: print(m, file=sys.stderr)) if sys.stderr.isatty() else (lambda m: None)
    inputs = load_inputs(data_dir, work_dir, model_dir, with_table=eeg_id is None)
    out = Path(out) if out else default_out(inputs)
    if eeg_id is not None:
        path = out / page_name(eeg_id, sub_id)
        write_text_atomic(path, recording_page(inputs, eeg_id, sub_id))
        return InspectSummary(path, [path], time.perf_counter() - start, inputs.warning)

    cv = json.loads((inputs.bundle.path / "cv.json").read_text())
    pages, examples = _example_pages(inputs, out, log)
    meta = inputs.bundle.meta
    sections = [headline_section(inputs.oof)] if inputs.same_data else []
    sections += [
        data_section(inputs.table),
        scores_section(inputs.bundle, inputs.oof, cv),
        behaviour_section(inputs.oof),
        features_section(inputs),
    ]
    if ablation:
        sections.append(ablation_section(inputs, meta.get("n_folds", 5), meta.get("seed", 0)))
    sections += [examples, glossary_section(inputs.columns)]
    index = out / "index.html"
    write_text_atomic(index, page("HMS model report", join([_header(inputs), *sections])))
    return InspectSummary(index, [index, *pages], time.perf_counter() - start, inputs.warning)
