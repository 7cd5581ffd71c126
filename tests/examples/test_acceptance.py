"""Small corpus tables through every step a new user takes (mlbp.examples.acceptance): `mlbp init`,
the pipeline, `mlbp serve` answering holdout rows, `mlbp score` over the file, `mlbp monitor` over
what the server logged, each as its own `mlbp` process with no hand edit, and the model no worse
than a plain LightGBM on the same split. bench/corpus.py runs the whole corpus at full size."""

from __future__ import annotations

import pytest
from mlbp.examples.acceptance import STEPS, accepted, through_every_step
from mlbp.examples.corpus import CORPUS, make

SMALL = {"tiny": 300, "string_labels_zoned_dates": 1500, "dollars_regression": 3000}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SMALL))
def test_a_small_table_passes_every_step(name, tmp_path):
    data = tmp_path / f"{name}.csv"
    make(name, rows=SMALL[name]).to_csv(data, index=False)
    row = through_every_step(tmp_path, name, data, CORPUS[name].target)
    summary = str({k: v for k, v in row.items() if not k.startswith("_")})
    assert [row.get(s) for s in STEPS] == ["pass"] * len(STEPS), summary
    assert row["served"] > 0 and row["monitored"] == row["served"] - row["refused"], summary
    assert row["scored"] + row["quarantined"] == SMALL[name], summary
    assert accepted(row), summary
