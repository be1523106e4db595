"""The cached feature table: per-recording parts (Arrow files holding the key columns and one
packed float32 list of every feature) streamed into one parquet table, and the check that a
table on disk was assembled from exactly the parts of this run."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pyarrow import feather

PACKED_COLUMN = "__features__"
"""A part's one list column holding every feature of a row (names in ``feature_names/``)."""
SIGNATURE_KEY = b"hms_parts"
"""The parquet metadata key naming the parts a table was assembled from."""


def unpack(table: pa.Table, names_dir: Path) -> pa.Table:
    """Key columns, then one named float32 column per feature (from the packed column)."""
    names_hash = table.schema.metadata[b"feature_names"].decode()
    names = json.loads((names_dir / f"{names_hash}.json").read_text())
    packed = table.column(PACKED_COLUMN).combine_chunks()
    matrix = packed.flatten().to_numpy().reshape(len(table), len(names))
    keys = table.drop_columns([PACKED_COLUMN])
    columns = [pa.array(matrix[:, j]) for j in range(len(names))]
    return pa.Table.from_arrays([*keys.columns, *columns], names=[*keys.column_names, *names])


def cached_table(out: Path, signature: bytes) -> tuple[int, int] | None:
    """(rows, columns) of the table at ``out`` if it was assembled from exactly these parts."""
    try:
        metadata = pq.read_metadata(out)
    except (OSError, pa.ArrowException):
        return None
    if (metadata.metadata or {}).get(SIGNATURE_KEY) != signature:
        return None
    return metadata.num_rows, metadata.num_columns


def assemble_table(
    part_paths: list[Path],
    names_dir: Path,
    out: Path,
    signature: bytes,
    rows_per_group: int = 2048,
) -> tuple[int, int]:
    """Stream the finished parts into one parquet table (atomically), parts in the order
    given, a row group every ``rows_per_group`` rows so memory stays bounded; the table's
    metadata records ``signature`` (see :func:`cached_table`)."""
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    writer: pq.ParquetWriter | None = None
    pending: list[pa.Table] = []
    n_rows = n_columns = 0

    def flush() -> None:
        nonlocal writer, n_columns
        if not pending:
            return
        table = unpack(pa.concat_tables(pending), names_dir)
        pending.clear()
        if writer is None:
            schema = table.schema.with_metadata({SIGNATURE_KEY: signature})
            # Feature values rarely repeat: dictionary pages cost time and space for nothing.
            writer = pq.ParquetWriter(tmp, schema, use_dictionary=False)
            n_columns = table.num_columns
        writer.write_table(table)

    try:
        for part_path in part_paths:
            table = feather.read_table(part_path, memory_map=False)
            pending.append(table)
            n_rows += table.num_rows
            if sum(t.num_rows for t in pending) >= rows_per_group:
                flush()
        flush()
        if writer is None:
            return 0, 0
        writer.close()  # writes the footer: may fail on a full disk
        os.replace(tmp, out)
    except BaseException:
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.close()
        tmp.unlink(missing_ok=True)
        raise
    return n_rows, n_columns
