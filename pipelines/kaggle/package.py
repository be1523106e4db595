"""Build the package folder: project and dependency wheels, the bundle, a manifest, the
notebook.

``OUT/dataset/`` is uploaded as one Kaggle dataset (``kaggle datasets create``), ``OUT/notebook/``
is pushed as the kernel (``kaggle kernels push``). The dependency wheels are those of the
versions installed where the package is built (the versions the bundle was trained and tested
with), for Linux x86-64 and the notebook's Python; ``hms_package.json`` records them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from models.bundle import load_bundle
from pipelines.kaggle.notebook import COMPETITION, MANIFEST_FILE, write_notebook

PROJECT = "hms-gbdt"
REPO = Path(__file__).resolve().parents[2]
DEFAULT_PYTHON = "3.11"
# Kaggle's image is Ubuntu 22.04 (glibc 2.35); manylinux wheels up to that run there.
PLATFORMS = (
    *(f"manylinux_2_{minor}_x86_64" for minor in range(35, 16, -1)),
    "manylinux2014_x86_64",
    "manylinux2010_x86_64",
    "manylinux1_x86_64",
    "linux_x86_64",
)


class PackageError(ValueError):
    """pip could not build or download a wheel (its output is in the message)."""


@dataclass
class PackageSummary:
    dataset: Path
    notebook: Path
    n_wheels: int
    megabytes: float
    seconds: float


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stdout[-2000:] + done.stderr[-3000:]).strip()
        raise PackageError(f"{' '.join(cmd[2:5])} ... failed (exit {done.returncode}):\n{tail}")


def _requirement_names(project: str = PROJECT) -> list[str]:
    """Names of the project's own (non-extra) requirements, from its installed metadata."""
    names = []
    for spec in metadata.requires(project) or []:
        if "extra ==" in spec:
            continue
        names.append(re.split(r"[\s<>=!~;\[]", spec, maxsplit=1)[0])
    return names


def pinned_requirements(project: str = PROJECT) -> dict[str, str]:
    """``{name: version}`` of the project's requirements as installed here."""
    return {name: metadata.version(name) for name in _requirement_names(project)}


SOURCE_FILES = ("setup.cfg", "pyproject.toml", "README.md")
SOURCE_PACKAGES = ("features", "models", "pipelines")


def _source_copy(target: Path) -> Path:
    """The files a wheel of the project is built from, copied to ``target``."""
    target.mkdir(parents=True)
    for name in SOURCE_FILES:
        shutil.copy2(REPO / name, target / name)
    for name in SOURCE_PACKAGES:
        shutil.copytree(
            REPO / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    return target


def build_project_wheel(wheels: Path) -> Path:
    """``pip wheel`` of this checkout (no dependencies) into ``wheels``; returns its path."""
    if not (REPO / "setup.cfg").is_file():
        raise FileNotFoundError(
            f"no setup.cfg in {REPO}: hms kaggle-package builds the project wheel from a "
            "source checkout (git clone, then make install)"
        )
    wheels.mkdir(parents=True, exist_ok=True)
    before = set(wheels.glob("hms_gbdt-*.whl"))
    with tempfile.TemporaryDirectory() as tmp:
        # a private copy of the sources: setuptools builds in the source tree's build/, so
        # two builds of one checkout at once (two packages, two test workers) would collide
        source = _source_copy(Path(tmp) / "src")
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "--quiet",
                "-w",
                str(wheels),
                str(source),
            ]
        )
    built = sorted(set(wheels.glob("hms_gbdt-*.whl")) - before) or sorted(before)
    if not built:
        raise PackageError(f"pip wheel wrote no hms_gbdt wheel into {wheels}")
    return built[-1]


def download_dependencies(
    project_wheel: Path, wheels: Path, pins: dict[str, str], python: str
) -> None:
    """Binary wheels of every dependency (pinned to ``pins``) for Linux x86-64 / CPython
    ``python``, downloaded by pip into ``wheels``."""
    constraints = wheels.parent / "constraints.txt"
    constraints.write_text("".join(f"{n}=={v}\n" for n, v in sorted(pins.items())))
    digits = python.replace(".", "")
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--only-binary=:all:",
        "--python-version",
        python,
        "--implementation",
        "cp",
        "--abi",
        f"cp{digits}",
        "--abi",
        "abi3",
        "--abi",
        "none",
        "-c",
        str(constraints),
        "-d",
        str(wheels),
    ]
    for platform in PLATFORMS:
        cmd += ["--platform", platform]
    _run([*cmd, str(project_wheel)])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_manifest(dataset: Path, project_wheel: Path, bundle_rel: str, python: str) -> dict:
    """``hms_package.json``: what was built, with which versions, for which Python."""
    bundle = load_bundle(dataset / bundle_rel)
    version = metadata.version(PROJECT)
    manifest = {
        "project": {
            "name": PROJECT,
            "version": version,
            "requirement": f"{PROJECT}=={version}",
            "wheel": project_wheel.name,
        },
        "python": python,
        "platforms": list(PLATFORMS),
        "built_with": {"python": sys.version.split()[0], **pinned_requirements()},
        "bundle": {
            "path": bundle_rel,
            "feature_config_hash": bundle.meta.get("feature_config_hash"),
            "versions": bundle.meta.get("versions", {}),
        },
        "wheels": {w.name: _sha256(w) for w in sorted((dataset / "wheels").glob("*.whl"))},
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (dataset / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def build_package(
    model_dir: Path,
    out: Path,
    *,
    user: str = "YOUR_KAGGLE_USERNAME",
    dataset_slug: str = "hms-gbdt-package",
    kernel_slug: str = "hms-gbdt-submit",
    python: str = DEFAULT_PYTHON,
    download: bool = True,
) -> PackageSummary:
    """Build ``out/dataset`` (wheels, bundle, manifest) and ``out/notebook``.

    Parameters
    ----------
    model_dir : a model bundle folder (``hms train`` writes one under ``WORK_DIR/models``).
    out : the package folder; its ``dataset`` and ``notebook`` folders are replaced.
    user, dataset_slug, kernel_slug : the Kaggle ids written into the metadata files.
    python : the notebook's Python (``major.minor``), whose wheels are downloaded.
    download : False skips the dependency wheels (the notebook then needs them installed).
    """
    start = time.perf_counter()
    model_dir = Path(model_dir)
    load_bundle(model_dir)  # refuse a folder that is not a readable bundle before any work
    out = Path(out)
    dataset, notebook = out / "dataset", out / "notebook"
    for folder in (dataset, notebook):
        if folder.exists():
            shutil.rmtree(folder)
    wheels = dataset / "wheels"
    project_wheel = build_project_wheel(wheels)
    if download:
        download_dependencies(project_wheel, wheels, pinned_requirements(), python)
    bundle_rel = f"bundle/{model_dir.resolve().name}"
    shutil.copytree(model_dir, dataset / bundle_rel)
    write_manifest(dataset, project_wheel, bundle_rel, python)
    meta = {"title": dataset_slug, "id": f"{user}/{dataset_slug}", "licenses": [{"name": "other"}]}
    (dataset / "dataset-metadata.json").write_text(json.dumps(meta, indent=2) + "\n")
    write_notebook(notebook, user, kernel_slug, dataset_slug)
    files = [p for p in dataset.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files) / 1e6
    n_wheels = len(list(wheels.glob("*.whl")))
    return PackageSummary(dataset, notebook, n_wheels, size, time.perf_counter() - start)


def _cmd_kaggle_package(args: argparse.Namespace) -> int:
    from pipelines.config import resolve_work_dir
    from pipelines.train_stage import latest_bundle

    model = Path(args.model) if args.model else latest_bundle(resolve_work_dir(args.work_dir))
    summary = build_package(
        model,
        Path(args.out),
        user=args.user,
        dataset_slug=args.dataset,
        kernel_slug=args.kernel,
        python=args.python,
        download=not args.no_download,
    )
    print(
        f"kaggle-package: {summary.n_wheels} wheels, {summary.megabytes:.0f} MB in "
        f"{summary.seconds:.0f} s"
    )
    print(f"  dataset (kaggle datasets create -p ... --dir-mode zip): {summary.dataset}")
    print(f"  notebook (kaggle kernels push -p ...): {summary.notebook}")
    print(f"  attach the competition {COMPETITION} and the dataset to the notebook")
    return 0


def add_parser(subparsers) -> None:
    """Register ``hms kaggle-package``."""
    p = subparsers.add_parser(
        "kaggle-package", help="an offline Kaggle notebook package: wheels, bundle, notebook"
    )
    p.add_argument("--model", default=None, help="model bundle folder (default: the latest)")
    p.add_argument("--work-dir", default=None, help="where the latest bundle is looked for")
    p.add_argument("--out", required=True, help="package folder (dataset/ and notebook/)")
    p.add_argument("--user", default="YOUR_KAGGLE_USERNAME", help="your Kaggle user name")
    p.add_argument("--dataset", default="hms-gbdt-package", help="the dataset's slug")
    p.add_argument("--kernel", default="hms-gbdt-submit", help="the notebook's slug")
    p.add_argument("--python", default=DEFAULT_PYTHON, help="the notebook's Python (3.11)")
    p.add_argument(
        "--no-download", action="store_true", help="only the project wheel (no dependencies)"
    )
    p.set_defaults(func=_cmd_kaggle_package)
