"""The feature numbers are pinned: a restructure of the code must not move a single bit.

The pin is a hash of the real mini data set's train feature table (column names, row keys and
every float32 value) and of the feature configuration that names the cache. Change it only
together with a family's or the engine's ``VERSION``, when the numbers are meant to change.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from pipelines.features_stage import build_features, feature_columns
from tests.conftest import needs_real_mini

PINNED_CONFIG_HASH = "51808651ae70"
PINNED_TABLE_SHA256 = "920bb408877f8a05623cb2cc5a68e3a833dd15e885f358e5288cb1eb77318662"


def table_digest(table: pd.DataFrame) -> str:
    """sha256 of the key columns, the feature names and the float32 bytes, in key order."""
    table = table.sort_values(["eeg_id", "eeg_sub_id"], kind="stable")
    columns = feature_columns(table)
    digest = hashlib.sha256()
    digest.update(table[["eeg_id", "eeg_sub_id"]].to_numpy(np.int64).tobytes())
    digest.update("\n".join(columns).encode())
    digest.update(np.ascontiguousarray(table[columns].to_numpy(np.float32)).tobytes())
    return digest.hexdigest()


@needs_real_mini
def test_real_mini_feature_table_is_pinned(real_mini, tmp_path):
    summary = build_features(real_mini, tmp_path, split="train", n_jobs=1, progress=False)
    assert summary.failures == []
    assert summary.table.parent.name == PINNED_CONFIG_HASH
    assert table_digest(pd.read_parquet(summary.table)) == PINNED_TABLE_SHA256
