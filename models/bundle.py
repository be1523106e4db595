"""Model bundles: native model files plus JSON, no pickle.

``{run}/`` holds ``{kind}.txt`` / ``{kind}.cbm`` (one file per stage), ``features.json`` (the
exact feature column list, in order), ``bundle.json`` (models, stages and round counts,
blend, config, CV scores, parameters and their source, library versions). Loading a bundle
someone sent you reads text and native model files only, so it cannot run code.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.blend import Blend
from models.cv import FittedModel
from models.gbdt import MODEL_KINDS, load_model, save_model

BUNDLE_FORMAT = 1


class ColumnMismatchError(ValueError):
    """A feature table's columns differ from the ones a bundle was trained on."""


def library_versions() -> dict[str, str]:
    import catboost
    import lightgbm
    import pandas
    import pyarrow
    import scipy

    return {
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pandas.__version__,
        "pyarrow": pyarrow.__version__,
        "lightgbm": lightgbm.__version__,
        "catboost": catboost.__version__,
    }


@dataclass
class Bundle:
    """Everything needed to predict from a feature table."""

    path: Path
    feature_columns: list[str]
    models: dict[str, FittedModel]
    blend: Blend
    meta: dict

    def check_columns(self, columns: list[str]) -> None:
        """Refuse a table whose feature columns differ, naming the difference."""
        if list(columns) == self.feature_columns:
            return
        expected, got = set(self.feature_columns), set(columns)
        missing = [c for c in self.feature_columns if c not in got]
        extra = [c for c in columns if c not in expected]
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing (e.g. {', '.join(missing[:3])})")
        if extra:
            parts.append(f"{len(extra)} unexpected (e.g. {', '.join(extra[:3])})")
        if not parts:
            first = next(
                i
                for i, (a, b) in enumerate(zip(columns, self.feature_columns, strict=True))
                if a != b
            )
            parts.append(
                f"same columns in another order (first difference at position {first}:"
                f" {columns[first]!r} where {self.feature_columns[first]!r} was expected)"
            )
        raise ColumnMismatchError(
            f"feature columns differ from the model bundle {self.path}: {'; '.join(parts)}. "
            "Compute features with the same feature families and versions as the bundle "
            f"(its config: {self.meta.get('feature_config_hash', '?')})."
        )

    def predict_models(self, X: np.ndarray) -> dict[str, np.ndarray]:
        return {name: model.predict(X) for name, model in self.models.items()}

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Blended probabilities (n_rows, 6), rows summing to 1."""
        return self.blend.apply(self.predict_models(X))


def save_bundle(
    path: Path,
    *,
    feature_columns: list[str],
    models: dict[str, FittedModel],
    blend: Blend,
    meta: dict,
    extra_files: dict[str, Callable[[Path], None]] | None = None,
) -> Path:
    """Write a bundle to ``path`` (via a temporary folder renamed at the end).

    ``extra_files`` maps a file name to a function writing it (e.g. out-of-fold predictions);
    they are written inside the temporary folder, so the bundle appears whole or not at all.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    manifest = {}
    for name, model in models.items():
        files = []
        stem = Path(MODEL_KINDS[model.kind].file_name)
        for stage, booster in enumerate(model.stages):
            file_name = f"{stem.stem}_stage{stage + 1}{stem.suffix}"
            save_model(model.kind, booster, tmp / file_name)
            files.append(file_name)
        manifest[name] = {"kind": model.kind, "files": files, "rounds": model.rounds}
    (tmp / "features.json").write_text(json.dumps(feature_columns, indent=0))
    document = {
        "format": BUNDLE_FORMAT,
        "models": manifest,
        "blend": blend.to_dict(),
        "versions": library_versions(),
        **meta,
    }
    (tmp / "bundle.json").write_text(json.dumps(document, indent=2, default=_json_default))
    for name, write in (extra_files or {}).items():
        write(tmp / name)
    if path.exists():
        shutil.rmtree(path)
    os.replace(tmp, path)
    return path


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def load_bundle(path: Path) -> Bundle:
    """Read a bundle written by ``save_bundle``."""
    path = Path(path)
    document_path = path / "bundle.json"
    if not document_path.is_file():
        raise FileNotFoundError(f"{path}: not a model bundle (no bundle.json)")
    document = json.loads(document_path.read_text())
    if document.get("format") != BUNDLE_FORMAT:
        raise ValueError(f"{path}: bundle format {document.get('format')} is not supported")
    models = {}
    for name, entry in document["models"].items():
        stages = [load_model(entry["kind"], path / f) for f in entry["files"]]
        models[name] = FittedModel(entry["kind"], stages, list(entry["rounds"]))
    blend_doc = document["blend"]
    blend = Blend(tuple(blend_doc["names"]), tuple(blend_doc["weights"]), blend_doc["temperature"])
    columns = json.loads((path / "features.json").read_text())
    meta = {k: v for k, v in document.items() if k not in {"models", "blend"}}
    return Bundle(path, columns, models, blend, meta)
