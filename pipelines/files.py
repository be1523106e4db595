"""Files written safely: atomic writes (a reader, or a restarted run, sees the whole file or
none of it), run folders no two runs share, and output folders a command may write into."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary name in the same folder, then rename it over
    ``path``; the temporary file is removed if writing fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: Path, text: str) -> None:
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_text_if_changed(path: Path, text: str) -> None:
    """``write_text_atomic`` unless the file already holds ``text`` (a rerun writes nothing,
    so it does not fail on a full disk that holds everything it needs)."""
    path = Path(path)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        write_text_atomic(path, text)


def unique_run_dir(parent: Path, when: datetime | None = None) -> Path:
    """Create and return a new folder ``parent/{YYYYmmdd-HHMMSS}-{n}`` (UTC time, then the
    first counter ``n`` from 1 whose folder did not exist).

    ``mkdir`` without ``exist_ok`` is atomic, so two runs finishing in the same second get two
    folders, never one; names still sort by time.
    """
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    stamp = (when or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    for n in range(1, 10_000):
        path = parent / f"{stamp}-{n}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{parent}: 9,999 runs named {stamp}-N already exist")


class NotOursError(ValueError):
    """A command would write into a folder holding data it did not create."""


def claim_output_dir(path: Path, marker: str, *, command: str, signs: tuple[str, ...] = ()) -> Path:
    """Make ``path`` a folder ``command`` may write into, or refuse.

    A missing or empty folder is created and gets the ``marker`` file; a folder holding the
    marker (or one of ``signs``: files only ``command`` writes, e.g. from before markers) is
    accepted; any other folder (a file, or a folder of someone's data) raises
    ``NotOursError`` and nothing is written.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise NotOursError(f"{path}: exists and is not a folder; {command} needs a folder")
    if path.is_dir() and not (path / marker).is_file():
        entries = sorted(p.name for p in path.iterdir())
        if entries and not any((path / sign).exists() for sign in signs):
            shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
            raise NotOursError(
                f"{path}: not empty ({shown}) and not written by {command} (no {marker} "
                f"file); refusing to overwrite what is there: pass a new or empty folder"
            )
    path.mkdir(parents=True, exist_ok=True)
    (path / marker).touch()
    return path
