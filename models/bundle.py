"""Model bundles: native model files plus JSON, no pickle.

``{run}/`` holds ``{kind}.txt`` / ``{kind}.cbm`` (one file per stage), ``features.json`` (the
exact feature column list, in order), ``bundle.json`` (models, stages and round counts, the
positions of the columns each model was trained on when it was pruned, blend, config, CV
scores, parameters and their source, library versions) and ``manifest.json`` (the SHA-256
of every other file). Loading a bundle checks the manifest first, so a truncated, damaged or
edited file gives one clear ``BundleError`` instead of a crash inside a model library; it
reads text and native model files only, so it cannot run code.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.blend import Blend
from models.cv import FittedModel
from models.gbdt import MODEL_KINDS, load_model, save_model
from models.labels import CLASSES

BUNDLE_FORMAT = 1


MANIFEST = "manifest.json"


class ColumnMismatchError(ValueError):
    """A feature table's columns differ from the ones a bundle was trained on."""


class BundleError(ValueError):
    """A model bundle is damaged, edited or incomplete; the message names the file."""


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
    try:
        _write_bundle_files(tmp, feature_columns, models, blend, meta, extra_files or {})
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    except BaseException:  # a full disk, a kill: leave no half-written folder behind
        shutil.rmtree(tmp, ignore_errors=True)
        with contextlib.suppress(OSError):
            path.rmdir()  # only if empty: a folder reserved for this run
        raise
    return path


def _write_bundle_files(tmp, feature_columns, models, blend, meta, extra_files) -> None:
    manifest = {}
    for name, model in models.items():
        files = []
        stem = Path(MODEL_KINDS[model.kind].file_name)
        for stage, booster in enumerate(model.stages):
            file_name = f"{stem.stem}_stage{stage + 1}{stem.suffix}"
            save_model(model.kind, booster, tmp / file_name)
            files.append(file_name)
        manifest[name] = {"kind": model.kind, "files": files, "rounds": model.rounds}
        if model.columns is not None:
            manifest[name]["columns"] = [int(c) for c in model.columns]
    (tmp / "features.json").write_text(json.dumps(feature_columns, indent=0))
    document = {
        "format": BUNDLE_FORMAT,
        "models": manifest,
        "blend": blend.to_dict(),
        "versions": library_versions(),
        **meta,
    }
    (tmp / "bundle.json").write_text(json.dumps(document, indent=2, default=_json_default))
    for name, write in extra_files.items():
        write(tmp / name)
    write_manifest(tmp)


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(folder: Path) -> None:
    """``manifest.json``: the SHA-256 of every file of a bundle folder."""
    files = sorted(p.name for p in Path(folder).iterdir() if p.is_file() and p.name != MANIFEST)
    hashes = {name: file_sha256(Path(folder) / name) for name in files}
    (Path(folder) / MANIFEST).write_text(json.dumps({"sha256": hashes}, indent=1))


def _damaged(path: Path, what: str) -> BundleError:
    return BundleError(
        f"{path}: the model bundle is damaged or was edited ({what}); retrain with "
        "`make train` or copy the bundle folder again"
    )


def _read_json(path: Path, bundle: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _damaged(bundle, f"{path.name} is missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise BundleError(f"{path}: not valid JSON ({err})") from err


def check_manifest(path: Path) -> None:
    """Raise ``BundleError`` unless every file the manifest lists is there, unchanged."""
    manifest = _read_json(path / MANIFEST, path)
    hashes = manifest.get("sha256") if isinstance(manifest, dict) else None
    if not isinstance(hashes, dict) or not hashes:
        raise _damaged(path, f"{MANIFEST} lists no files")
    for name, expected in hashes.items():
        file = path / str(name)
        if Path(str(name)).name != name or not file.is_file():
            raise _damaged(path, f"{name} is missing")
        if file_sha256(file) != expected:
            raise _damaged(path, f"{name} differs from the one it was saved with")


_COMPLETE_MARKERS = {"lightgbm": b"end of trees"}
"""A line every whole model file holds: LightGBM can abort the process on a cut file."""


def _load_models(path: Path, entries: dict) -> dict[str, FittedModel]:
    models = {}
    for name, entry in entries.items():
        stages = []
        for file_name in entry["files"]:
            marker = _COMPLETE_MARKERS.get(entry["kind"])
            if marker and marker not in (path / file_name).read_bytes():
                raise BundleError(f"{path / file_name}: the {entry['kind']} model is cut short "
                                  f"(no {marker.decode()!r} line)")  # fmt: skip
            try:
                stages.append(load_model(entry["kind"], path / file_name))
            except Exception as err:  # each library raises its own kind of error
                raise BundleError(f"{path / file_name}: cannot load the {entry['kind']} model: "
                                  f"{str(err).strip()[:200]}") from err  # fmt: skip
        columns = entry.get("columns")
        columns = None if columns is None else np.asarray(columns, dtype=np.int64)
        models[name] = FittedModel(entry["kind"], stages, list(entry["rounds"]), columns)
    return models


def _blend(document: dict, document_path: Path) -> Blend:
    doc = document["blend"]
    bias = doc.get("bias")  # absent from bundles written before the calibration
    blend = Blend(tuple(doc["names"]), tuple(float(w) for w in doc["weights"]),
                  float(doc["temperature"]),
                  None if bias is None else tuple(float(b) for b in bias))  # fmt: skip
    numbers = [blend.temperature, *blend.weights, *(blend.bias or ())]
    if not all(math.isfinite(v) for v in numbers) or blend.temperature <= 0:
        raise BundleError(
            f"{document_path}: blend temperature {blend.temperature:g}, weights "
            f"{list(blend.weights)} and bias {bias}: expected finite numbers and a "
            "temperature > 0"
        )
    if blend.bias is not None and len(blend.bias) != len(CLASSES):
        raise BundleError(
            f"{document_path}: blend bias has {len(blend.bias)} values, expected one per "
            f"class ({len(CLASSES)})"
        )
    if set(blend.names) - set(document["models"]):
        raise BundleError(f"{document_path}: the blend names models the bundle does not hold")
    return blend


def load_bundle(path: Path) -> Bundle:
    """Read a bundle written by ``save_bundle``, checking its manifest first.

    Raises ``BundleError`` (a ``ValueError``) naming the file for a damaged, edited or
    incomplete bundle, and ``FileNotFoundError`` for a folder that is not a bundle.
    """
    path = Path(path)
    document_path = path / "bundle.json"
    if not document_path.is_file():
        raise FileNotFoundError(f"{path}: not a model bundle (no bundle.json)")
    check_manifest(path)
    document = _read_json(document_path, path)
    if not isinstance(document, dict) or document.get("format") != BUNDLE_FORMAT:
        found = document.get("format") if isinstance(document, dict) else None
        raise BundleError(f"{document_path}: bundle format {found} is not supported")
    try:
        models = _load_models(path, document["models"])
        blend = _blend(document, document_path)
    except BundleError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError) as err:
        raise BundleError(
            f"{document_path}: missing or malformed entry {err!s}; expected a bundle written "
            "by `hms train`"
        ) from err
    columns = _read_json(path / "features.json", path)
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise BundleError(f"{path / 'features.json'}: expected a list of feature column names")
    meta = {k: v for k, v in document.items() if k not in {"models", "blend"}}
    return Bundle(path, columns, models, blend, meta)
